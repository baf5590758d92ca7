package attest

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/sigstore/cosign/v2/pkg/cosign/attestation"
)

var scanFiles = []string{
	"critical.trivy.json", "clean.trivy.json", "grype.presenter.image.json",
	"trivy.alpine-310.sarif.json", "grype.image.sarif.json",
}

func TestPredicateRoundTrip(t *testing.T) {
	for _, file := range scanFiles {
		t.Run(file, func(t *testing.T) {
			s, err := ParseScan(readFile(t, "../testdata/scan/"+file))
			if err != nil {
				t.Fatal(err)
			}
			pred, err := s.Predicate()
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseVulnPredicate(pred)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Findings, s.Findings) {
				t.Errorf("findings changed in the round trip:\n got %+v\nwant %+v",
					got.Findings, s.Findings)
			}
			if got.Format != s.Format || got.Scanner != s.Scanner ||
				got.ScannerVersion != s.ScannerVersion || got.ScannerURI != s.ScannerURI ||
				!got.ScannedAt.Equal(s.ScannedAt) {
				t.Errorf("got %s by %s %s (%s) at %v, want %s by %s %s (%s) at %v",
					got.Format, got.Scanner, got.ScannerVersion, got.ScannerURI, got.ScannedAt,
					s.Format, s.Scanner, s.ScannerVersion, s.ScannerURI, s.ScannedAt)
			}
			if !bytes.Equal(got.Raw, s.Raw) {
				t.Error("the raw report changed in the round trip")
			}
		})
	}
}

// TestPredicateCosignFormat checks that the predicate has the shape cosign
// writes and decodes with cosign's own type.
func TestPredicateCosignFormat(t *testing.T) {
	s, err := ParseScan(readFile(t, "../testdata/scan/critical.trivy.json"))
	if err != nil {
		t.Fatal(err)
	}
	pred, err := s.Predicate()
	if err != nil {
		t.Fatal(err)
	}
	var cp attestation.CosignVulnPredicate
	if err := json.Unmarshal(pred, &cp); err != nil {
		t.Fatalf("cosign's type does not decode the predicate: %v", err)
	}
	if cp.Scanner.URI != "https://github.com/aquasecurity/trivy" || cp.Scanner.Version != "dev" {
		t.Errorf("scanner = %q %q", cp.Scanner.URI, cp.Scanner.Version)
	}
	want := mustTime(t, "2021-08-25T12:20:30.000000005Z")
	if !cp.Metadata.ScanStartedOn.Equal(want) || !cp.Metadata.ScanFinishedOn.Equal(want) {
		t.Errorf("metadata = %+v, want both times %v", cp.Metadata, want)
	}
	result, ok := cp.Scanner.Result.(map[string]any)
	if !ok || result["SchemaVersion"] != 2.0 {
		t.Errorf("scanner.result is not the Trivy report: %T", cp.Scanner.Result)
	}
	var shape struct {
		Invocation map[string]json.RawMessage `json:"invocation"`
	}
	if err := json.Unmarshal(pred, &shape); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"parameters", "uri", "event_id", "builder.id"} {
		if _, ok := shape.Invocation[k]; !ok {
			t.Errorf("invocation has no %q", k)
		}
	}
}

func TestPredicateWithoutReport(t *testing.T) {
	if _, err := (&Scan{Format: FormatTrivy}).Predicate(); err == nil {
		t.Error("Predicate of a scan without a raw report succeeded")
	}
}

// TestParseVulnPredicateCosign reads predicates that cosign's tests use:
// a result of null, so no findings but the scanner and times.
func TestParseVulnPredicateCosign(t *testing.T) {
	paths := []string{"../testdata/scan/cosign-vuln.predicate.json"}
	if root := findCorpus(); root != "" {
		paths = append(paths, root+"/in-toto/predicates/cosign-vuln.predicate.json",
			root+"/vuln-scan/cosign-vuln/cosign-vuln.predicate.json")
	}
	for _, p := range paths {
		t.Run(p, func(t *testing.T) {
			s, err := ParseVulnPredicate(readFile(t, p))
			if err != nil {
				t.Fatal(err)
			}
			if s.Format != "" || len(s.Findings) != 0 {
				t.Errorf("got a %q report with %d findings, want neither", s.Format,
					len(s.Findings))
			}
			if s.Scanner != "fakescanner.example.com/cosign-testing" ||
				s.ScannerURI != "fakescanner.example.com/cosign-testing" {
				t.Errorf("scanner %q, uri %q", s.Scanner, s.ScannerURI)
			}
			if !s.ScannedAt.Equal(mustTime(t, "2022-04-12T00:10:00Z")) {
				t.Errorf("ScannedAt = %v, want scanFinishedOn", s.ScannedAt)
			}
		})
	}
}

func TestParseVulnPredicateTimes(t *testing.T) {
	report := readFile(t, "../testdata/scan/critical.trivy.json")
	tests := []struct {
		name, started, finished, want string
	}{
		{"finished", "2024-01-01T00:00:00Z", "2024-01-01T00:05:00Z", "2024-01-01T00:05:00Z"},
		{"started only", "2024-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "2024-01-01T00:00:00Z"},
		{"neither: the report's", "0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z",
			"2021-08-25T12:20:30.000000005Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pred := vulnPredicateJSON(t, report, tt.started, tt.finished)
			s, err := ParseVulnPredicate(pred)
			if err != nil {
				t.Fatal(err)
			}
			if !s.ScannedAt.Equal(mustTime(t, tt.want)) {
				t.Errorf("ScannedAt = %v, want %s", s.ScannedAt, tt.want)
			}
			if len(s.Findings) != 2 || s.MaxSeverity() != SeverityCritical {
				t.Errorf("findings %+v, want the report's two", s.Findings)
			}
		})
	}
}

// vulnPredicateJSON writes a predicate the way cosign does, around result.
func vulnPredicateJSON(t *testing.T, result []byte, started, finished string) []byte {
	t.Helper()
	p := map[string]any{
		"invocation": map[string]any{"parameters": nil, "uri": "", "event_id": "",
			"builder.id": ""},
		"scanner": map[string]any{"uri": "pkg:github/aquasecurity/trivy", "version": "0.50.1",
			"db": map[string]any{"uri": "", "version": ""}, "result": json.RawMessage(result)},
		"metadata": map[string]any{"scanStartedOn": started, "scanFinishedOn": finished},
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseVulnPredicateRefusals(t *testing.T) {
	report := readFile(t, "../testdata/scan/critical.trivy.json")
	good := vulnPredicateJSON(t, report, "2024-01-01T00:00:00Z", "2024-01-01T00:05:00Z")
	tests := []struct {
		name  string
		input []byte
		want  string
	}{
		{"empty", nil, "vuln predicate: empty input"},
		{"not JSON", []byte("vuln"), "vuln predicate: invalid JSON at byte offset 1"},
		{"truncated", good[:len(good)-10], "vuln predicate: invalid JSON at byte offset"},
		{"array", []byte(`[]`), "top-level JSON value is an array"},
		{"no scanner", edit(t, good, "scanner", nil), "vuln predicate: missing scanner"},
		{"no metadata", edit(t, good, "metadata", nil), "vuln predicate: missing metadata"},
		{"bad time", edit(t, good, "metadata", map[string]any{"scanFinishedOn": "later"}),
			`vuln predicate: metadata.scanFinishedOn "later" is not an RFC 3339 time`},
		{"scanner not an object", edit(t, good, "scanner", "trivy"),
			"vuln predicate: field scanner"},
		{"Trivy schema 1 result", vulnPredicateJSON(t, edit(t, report, "SchemaVersion", 1),
			"", ""), "vuln predicate: scanner.result: Trivy report: unsupported version"},
		{"broken SARIF result", vulnPredicateJSON(t, []byte(`{"version":"2.1.0","runs":[]}`),
			"", ""), "vuln predicate: scanner.result: SARIF log: no runs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseVulnPredicate(tt.input)
			wantError(t, err, tt.want)
			if s != nil {
				t.Error("got a scan along with the error")
			}
		})
	}
}

func TestParseVulnPredicateUnknownResult(t *testing.T) {
	other := []byte(`{"vulnerabilities":[{"id":"CVE-1","severity":"critical"}]}`)
	s, err := ParseVulnPredicate(vulnPredicateJSON(t, other, "2024-01-01T00:00:00Z", ""))
	if err != nil {
		t.Fatal(err)
	}
	if s.Format != "" || s.Findings != nil {
		t.Errorf("got a %q report with findings %+v, want neither", s.Format, s.Findings)
	}
	if s.Scanner != "pkg:github/aquasecurity/trivy" || s.ScannerVersion != "0.50.1" {
		t.Errorf("scanner %q %q, want the predicate's", s.Scanner, s.ScannerVersion)
	}
	if !reflect.DeepEqual([]byte(s.Raw), other) {
		t.Errorf("Raw = %s, want the result", s.Raw)
	}
}
