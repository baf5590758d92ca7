package report_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/vouchsec/vouch/pkg/report"
	"github.com/vouchsec/vouch/verify"
)

// sarifSchema compiles the SARIF 2.1.0 JSON schema kept in testdata.
func sarifSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	const path = "testdata/sarif-schema-2.1.0.json"
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := jsonschema.NewCompiler()
	if err := c.AddResource(path, f); err != nil {
		t.Fatalf("loading %s: %v", path, err)
	}
	s, err := c.Compile(path)
	if err != nil {
		t.Fatalf("compiling %s: %v", path, err)
	}
	return s
}

func decodeJSON(t *testing.T, data []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decoding: %v\n%s", err, data)
	}
	return v
}

// sarifLog is the part of a SARIF log the tests read.
type sarifLog struct {
	Version string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name, Version, InformationURI string
				Rules                         []struct{ ID string }
			}
		}
		Invocations []struct {
			ExecutionSuccessful        bool
			ToolExecutionNotifications []struct{ Message struct{ Text string } }
		}
		Results []struct {
			RuleID    string
			RuleIndex int
			Level     string
			Message   struct{ Text string }
			Locations []struct {
				PhysicalLocation struct {
					ArtifactLocation struct{ URI string }
					Region           struct{ StartLine, StartColumn int }
				}
			}
			Properties struct{ Image, Digest string }
		}
	}
}

func TestSARIFSchema(t *testing.T) {
	schema := sarifSchema(t)
	passed := &verify.Report{SchemaVersion: verify.SchemaVersion, Policy: "trust.yaml",
		Time: sample().Time, Passed: true, Images: []*verify.ImageResult{passing()}}
	for name, rep := range map[string]*verify.Report{"sample": sample(), "passing": passed,
		"empty": {Policy: "trust.yaml"}} {
		t.Run(name, func(t *testing.T) {
			out := render(t, report.SARIF, rep)
			if err := schema.Validate(decodeJSON(t, out)); err != nil {
				t.Fatalf("SARIF log does not validate: %#v\n%s", err, out)
			}
		})
	}
	t.Run("the schema refuses a bad log", func(t *testing.T) {
		out := render(t, report.SARIF, sample())
		bad := bytes.Replace(out, []byte(`"level": "error"`), []byte(`"level": "fatal"`), 1)
		if err := schema.Validate(decodeJSON(t, bad)); err == nil {
			t.Fatal("a result of level fatal validates")
		}
	})
}

func TestSARIFResults(t *testing.T) {
	var log sarifLog
	if err := json.Unmarshal(render(t, report.SARIF, sample()), &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 {
		t.Fatalf("version %q with %d runs, want 2.1.0 with 1", log.Version, len(log.Runs))
	}
	run := log.Runs[0]
	d := run.Tool.Driver
	if d.Name != "vouch" || d.Version != "v0.0.0-test" ||
		!strings.HasPrefix(d.InformationURI, "https://") {
		t.Errorf("driver %q %q %q", d.Name, d.Version, d.InformationURI)
	}
	var ids []string
	for _, r := range d.Rules {
		ids = append(ids, r.ID)
	}
	wantIDs := "production/signatures.anyOf production/attestations[0]/vuln (none)/scope"
	if strings.Join(ids, " ") != wantIDs {
		t.Errorf("rules %v, want %s", ids, wantIDs)
	}
	// The failing image's vuln check and the unmatched image's scope.
	if len(run.Results) != 2 {
		t.Fatalf("%d results, want 2", len(run.Results))
	}
	r := run.Results[0]
	loc := r.Locations[0].PhysicalLocation
	if r.RuleID != "production/attestations[0]/vuln" || d.Rules[r.RuleIndex].ID != r.RuleID ||
		r.Level != "error" || loc.ArtifactLocation.URI != "trust.yaml" ||
		loc.Region.StartLine != 11 || loc.Region.StartColumn != 9 {
		t.Errorf("vuln result: %+v", r)
	}
	if !strings.HasPrefix(r.Message.Text, "127.0.0.1:5000/staging/app:1.0.0: maxSeverity high") ||
		r.Properties.Digest != appDigest {
		t.Errorf("vuln result message %q, digest %q", r.Message.Text, r.Properties.Digest)
	}
	s := run.Results[1]
	if s.RuleID != "(none)/scope" || s.Locations[0].PhysicalLocation.Region.StartLine != 1 {
		t.Errorf("scope result: %+v", s)
	}
	inv := run.Invocations[0]
	if inv.ExecutionSuccessful || len(inv.ToolExecutionNotifications) != 1 ||
		!strings.Contains(inv.ToolExecutionNotifications[0].Message.Text, "registry unreachable") {
		t.Errorf("invocation: %+v", inv)
	}
}

func TestSARIFPassingHasNoResults(t *testing.T) {
	rep := &verify.Report{Policy: "trust.yaml", Passed: true, Images: []*verify.ImageResult{passing()}}
	out := render(t, report.SARIF, rep)
	var log sarifLog
	if err := json.Unmarshal(out, &log); err != nil {
		t.Fatal(err)
	}
	if n := len(log.Runs[0].Results); n != 0 || !bytes.Contains(out, []byte(`"results": []`)) {
		t.Errorf("%d results for a passing image, want an empty list:\n%s", n, out)
	}
	if len(log.Runs[0].Tool.Driver.Rules) != 2 || !log.Runs[0].Invocations[0].ExecutionSuccessful {
		t.Errorf("want the 2 rules checked and a successful invocation:\n%s", out)
	}
}

func TestSARIFLocations(t *testing.T) {
	abs, err := filepath.Abs(filepath.Join("testdata", "policies", "trust.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ position, uri string }{
		{"policies/trust.yaml:3:5", "policies/trust.yaml"},
		{"my policies/trust.yaml:3", "my%20policies/trust.yaml"},
		{abs + ":3:5", "file://" + filepath.ToSlash(abs)},
		{"", "policies/trust.yaml"},
	}
	for _, tc := range tests {
		img := failing()
		img.Policies[0].Checks[1].Position = tc.position
		rep := &verify.Report{Policy: "policies/trust.yaml", Images: []*verify.ImageResult{img}}
		var log sarifLog
		if err := json.Unmarshal(render(t, report.SARIF, rep), &log); err != nil {
			t.Fatal(err)
		}
		got := log.Runs[0].Results[0].Locations[0].PhysicalLocation.ArtifactLocation.URI
		if !strings.HasSuffix(got, tc.uri) || strings.Contains(got, " ") {
			t.Errorf("position %q: uri %q, want %q", tc.position, got, tc.uri)
		}
	}
}
