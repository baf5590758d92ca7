package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vouchsec/vouch/internal/testreg"
	"github.com/vouchsec/vouch/verify"
)

// batch is a registry with three names for the sample image: app:1.0.0
// and app:latest, signed by release, and web:1.0.0, signed by nobody.
type batch struct {
	h                *harness
	counter          *testreg.Counter
	pol              string
	app, latest, web string
}

const signedPolicy = `  - name: signed
    scope: ["*/staging/**"]
    signatures: {anyOf: [release]}
`

func newBatch(t *testing.T) *batch {
	t.Helper()
	host, counter := testreg.GGCRCounted(t, false)
	h := newHarness(t, host)
	b := &batch{h: h, counter: counter, app: h.ref("staging/app:1.0.0"),
		latest: h.ref("staging/app:latest"), web: h.ref("staging/web:1.0.0")}
	h.push("staging/app", "1.0.0")
	h.push("staging/app", "latest")
	h.push("staging/web", "1.0.0")
	h.keys("release", "ci")
	h.must("sign", "--key", h.path("keys/release.key"), b.app)
	b.pol = h.policy(signedPolicy)
	return b
}

// sub returns the harness for subtest t.
func (b *batch) sub(t *testing.T) *harness {
	h := *b.h
	h.t = t
	return &h
}

// vouchIO runs one command line with stdin and returns its exit code,
// standard output and standard error.
func (h *harness) vouchIO(stdin string, args ...string) (int, string, string) {
	h.t.Helper()
	var out, errOut bytes.Buffer
	s := &stdio{in: strings.NewReader(stdin), out: &out, err: &errOut,
		env: func(k string) (string, bool) { v, ok := h.env[k]; return v, ok }}
	code := run(context.Background(), args, s)
	return code, out.String(), errOut.String()
}

// expectIO is vouchIO that must exit with code.
func (h *harness) expectIO(code int, stdin string, args ...string) (stdout, stderr string) {
	h.t.Helper()
	got, stdout, stderr := h.vouchIO(stdin, args...)
	if got != code {
		h.t.Fatalf("vouch %s: exit %d, want %d\n%s%s", strings.Join(args, " "), got, code, stdout, stderr)
	}
	return stdout, stderr
}

// sarifResults decodes a SARIF log and returns its results' messages.
func sarifResults(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Results []struct {
				Message struct{ Text string } `json:"message"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(data, &log); err != nil || log.Version != "2.1.0" || len(log.Runs) != 1 {
		t.Fatalf("%s is not a SARIF 2.1.0 log with one run (%v):\n%s", path, err, data)
	}
	msgs := []string{}
	for _, r := range log.Runs[0].Results {
		msgs = append(msgs, r.Message.Text)
	}
	return msgs
}

// TestVerifyOutputFile checks that --output-file gets the report in the -o
// format while the table goes to standard output, on a pass and on a
// failure alike.
func TestVerifyOutputFile(t *testing.T) {
	b := newBatch(t)
	t.Run("sarif of a pass", func(t *testing.T) {
		h := b.sub(t)
		file := h.path("pass.sarif")
		out, _ := h.expectIO(exitOK, "", "verify", "--policy", b.pol, "-o", "sarif",
			"--output-file", file, b.app)
		if !strings.Contains(out, "PASS  "+b.app) || !strings.Contains(out, "REQUIREMENT") {
			t.Errorf("standard output is not the table:\n%s", out)
		}
		if msgs := sarifResults(t, file); len(msgs) != 0 {
			t.Errorf("results for a passing image: %v", msgs)
		}
	})
	t.Run("sarif of a failure", func(t *testing.T) {
		h := b.sub(t)
		file := h.path("fail.sarif")
		out, _ := h.expectIO(exitPolicy, "", "verify", "--policy", b.pol, "-o", "sarif",
			"--output-file", file, b.app, b.web)
		if !strings.Contains(out, "FAIL  "+b.web) {
			t.Errorf("standard output is not the table:\n%s", out)
		}
		msgs := sarifResults(t, file)
		if len(msgs) != 1 || !strings.HasPrefix(msgs[0], b.web+": no valid signature") {
			t.Errorf("results %q, want one for %s", msgs, b.web)
		}
	})
	t.Run("junit and json", func(t *testing.T) {
		h := b.sub(t)
		xml := h.path("report.xml")
		h.expectIO(exitPolicy, "", "verify", "--policy", b.pol, "-o", "junit",
			"--output-file", xml, b.web)
		if data, _ := os.ReadFile(xml); !bytes.HasPrefix(data, []byte("<?xml")) ||
			!bytes.Contains(data, []byte(`<failure message="no valid signature`)) {
			t.Errorf("%s is not the JUnit report:\n%s", xml, data)
		}
		js := h.path("report.json")
		h.expectIO(exitOK, "", "verify", "--policy", b.pol, "-o", "json", "--output-file", js, b.app)
		data, err := os.ReadFile(js)
		if err != nil {
			t.Fatal(err)
		}
		if rep := decodeReport(t, string(data)); !rep.Passed {
			t.Errorf("json report does not pass:\n%s", data)
		}
	})
	t.Run("without --output-file the format goes to stdout", func(t *testing.T) {
		h := b.sub(t)
		out, _ := h.expectIO(exitOK, "", "verify", "--policy", b.pol, "-o", "junit", b.app)
		if !strings.HasPrefix(out, "<?xml") {
			t.Errorf("stdout is not JUnit:\n%s", out)
		}
	})
}

// TestVerifyOutputFileBadUsage checks that bad usage writes no report,
// leaves an old one as it was, and fetches nothing.
func TestVerifyOutputFileBadUsage(t *testing.T) {
	b := newBatch(t)
	dir := filepath.Join(b.h.dir, "reports")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(dir, "old.sarif")
	if err := os.WriteFile(old, []byte("old report\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fresh := filepath.Join(dir, "new.sarif")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bad format", []string{"-o", "yaml", "--output-file", fresh, b.app},
			`unknown output format "yaml"`},
		{"bad format over a report", []string{"-o", "yaml", "--output-file", old, b.app}, "yaml"},
		{"missing policy", []string{"-o", "sarif", "--output-file", fresh,
			"--policy", b.h.path("none.yaml"), b.app}, "none.yaml"},
		{"missing directory", []string{"-o", "sarif",
			"--output-file", filepath.Join(dir, "no", "r.sarif"), b.app}, "r.sarif"},
		{"a directory", []string{"-o", "sarif", "--output-file", dir, b.app}, "is a directory"},
		{"no jobs", []string{"--jobs", "0", "--output-file", fresh, b.app}, "--jobs 0"},
		{"no images", []string{"-o", "sarif", "--output-file", fresh}, "no images"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := b.sub(t)
			b.counter.Reset()
			args := append([]string{"verify", "--policy", b.pol}, tc.args...)
			_, stderr := h.expectIO(exitUsage, "", args...)
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, stderr)
			}
			if n := b.counter.Count(); n != 0 {
				t.Errorf("%d registry requests for bad usage", n)
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 || entries[0].Name() != "old.sarif" {
				t.Errorf("report directory holds %v, want only old.sarif", entries)
			}
			if data, _ := os.ReadFile(old); string(data) != "old report\n" {
				t.Errorf("old report changed to %q", data)
			}
		})
	}
}

// TestVerifyImagesFile checks -f: comments and blank lines skipped, the
// IMAGE arguments first, one report in input order, the worst exit code.
func TestVerifyImagesFile(t *testing.T) {
	b := newBatch(t)
	list := b.h.write("images.txt", "# staging images\n\n  "+b.app+"  \n"+
		"# not signed:\n"+b.web+"\n\t\n"+b.latest+"\n")
	t.Run("file", func(t *testing.T) {
		h := b.sub(t)
		out, stderr := h.expectIO(exitPolicy, "", "verify", "--policy", b.pol, "-o", "json",
			"--jobs", "2", "-f", list, b.latest)
		checkOrder(t, out, []string{b.latest, b.app, b.web, b.latest}, "pass pass fail pass")
		if !strings.Contains(stderr, b.web) {
			t.Errorf("stderr does not name the failing image:\n%s", stderr)
		}
	})
	t.Run("stdin", func(t *testing.T) {
		h := b.sub(t)
		out, _ := h.expectIO(exitPolicy, b.web+"\n# comment\n"+b.app+"\n", "verify", "--policy", b.pol,
			"-o", "json", "--images-file", "-")
		checkOrder(t, out, []string{b.web, b.app}, "fail pass")
	})
	t.Run("all pass", func(t *testing.T) {
		h := b.sub(t)
		ok := h.write("ok.txt", b.app+"\n"+b.latest+"\n")
		out, _ := h.expectIO(exitOK, "", "verify", "--policy", b.pol, "-f", ok)
		if !strings.Contains(out, "PASS: 2 image(s) checked") {
			t.Errorf("table:\n%s", out)
		}
	})
}

func checkOrder(t *testing.T, out string, refs []string, statuses string) {
	t.Helper()
	rep := decodeReport(t, out)
	var got, st []string
	for _, img := range rep.Images {
		got = append(got, img.Reference)
		st = append(st, string(img.Status))
	}
	if strings.Join(got, " ") != strings.Join(refs, " ") || strings.Join(st, " ") != statuses {
		t.Errorf("report lists %v with %v, want %v with %s", got, st, refs, statuses)
	}
}

// TestVerifyImagesFileBadLine checks that a bad line is a usage error
// naming the file and line, before any registry request.
func TestVerifyImagesFileBadLine(t *testing.T) {
	b := newBatch(t)
	tests := []struct {
		name, list, stdin string
		want              []string
	}{
		{"bad reference", b.h.write("bad.txt", "# list\n"+b.app+"\n\nnot a reference!\n"), "",
			[]string{"bad.txt:4:", "not a reference!"}},
		{"bad oci line", b.h.write("oci.txt", b.app+"\noci:"+b.h.path("no-such-layout")+"@sha256:"+
			strings.Repeat("0", 64)+"\n"), "", []string{"oci.txt:2:", "no-such-layout"}},
		{"bad stdin line", "-", b.app + "\nUPPER/case:tag\n", []string{"stdin:2:", "UPPER/case"}},
		{"missing file", b.h.path("missing.txt"), "", []string{"missing.txt"}},
		{"empty list", b.h.write("empty.txt", "# nothing yet\n\n"), "", []string{"no images"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := b.sub(t)
			b.counter.Reset()
			_, stderr := h.expectIO(exitUsage, tc.stdin, "verify", "--policy", b.pol, "-f", tc.list)
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if n := b.counter.Count(); n != 0 {
				t.Errorf("%d registry requests before the bad line was reported", n)
			}
		})
	}
}

// TestVerifyImagesFileOCI checks that -f reads oci: images, and that a
// tag and a digest of one layout image are both reported.
func TestVerifyImagesFileOCI(t *testing.T) {
	h := newHarness(t, "")
	h.keys("release", "ci")
	pol := h.policy(signedPolicy)
	layout := testreg.SampleLayout(t)
	const digest = "sha256:7345ac28d48c752fc6410e0ed767f169f49ed453b708eca563dce07d58152e93"
	list := h.write("images.txt",
		"oci:"+layout+":1.0.0\n# the same by digest\noci:"+layout+"@"+digest+"\n")
	out, _ := h.expectIO(exitPolicy, "", "verify", "--policy", pol, "-o", "json",
		"--scope", "registry.example/staging/app", "-f", list)
	rep := decodeReport(t, out)
	if len(rep.Images) != 2 {
		t.Fatalf("%d images, want 2:\n%s", len(rep.Images), out)
	}
	for _, img := range rep.Images {
		if img.Digest != digest || img.Status != verify.StatusFail ||
			img.Repository != "registry.example/staging/app" {
			t.Errorf("%s: %s %s %s, want %s fail in registry.example/staging/app",
				img.Reference, img.Digest, img.Status, img.Repository, digest)
		}
	}
}
