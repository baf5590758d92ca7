package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// lintPolicy is a policy that loads, with one warning of each kind below
// and a waiver that expires at the end of 2026-06-30.
const lintPolicy = `version: v1
signers:
  release: {cosign: {key: keys/release.pub}}
  ci: {cosign: {key: keys/ci.pub}}
policies:
  - name: prod
    scope: ["registry.acme.io/prod/**"]
    signatures: {anyOf: [release]}
    attestations:
      - type: vuln
        signedBy: [release]
        maxAge: 24h
        rules:
          maxSeverity: high
          waivers: [{id: CVE-2024-1, until: 2026-06-30, reason: not reachable}]
  - name: all
    scope: ["**"]
    signatures: {anyOf: [release]}
`

func TestPolicyLint(t *testing.T) {
	h := newHarness(t, "registry.invalid")
	h.keys("release", "ci")
	good := h.write("good.yaml", lintPolicy)
	bad := h.write("bad.yaml", strings.Replace(lintPolicy, `["**"]
    signatures: {anyOf: [release]}`, `["**"]
    signatures: {anyOf: [release, nobody]}`, 1))

	tests := []struct {
		name  string
		args  []string
		code  int
		lines []string
	}{
		{"warnings do not fail", []string{"policy", "lint", "--at", "2026-06-30", good}, exitOK, []string{
			good + `:4:3: warning: signer "ci" is not used by any policy`,
			good + `:17:13: warning: scope "**" of policy "all" overlaps scope ` +
				`"registry.acme.io/prod/**" of policy "prod" (` + good + `:7:13): both match ` +
				`registry.acme.io/prod, so an image there must pass both policies`,
		}},
		{"expired waiver as of a later time", []string{"policy", "lint", "--at", "2026-07-01T00:00:00Z", good},
			exitOK, []string{
				good + `:4:3: warning: signer "ci" is not used by any policy`,
				good + `:15:21: warning: waiver for CVE-2024-1 expired at the end of 2026-06-30 ` +
					`(not reachable): it no longer excuses the finding; renew or remove it`,
				good + `:17:13: warning: scope "**" of policy "all" overlaps`,
			}},
		{"strict makes warnings fail", []string{"policy", "lint", "--strict", good}, exitPolicy, nil},
		{"errors exit 2", []string{"policy", "lint", bad}, exitUsage, []string{
			bad + `:18:35: error: unknown signer "nobody" in anyOf; signers are: ci, release`,
		}},
		{"missing file", []string{"policy", "lint", h.path("none.yaml")}, exitUsage, nil},
		{"bad --at", []string{"policy", "lint", "--at", "tomorrow", good}, exitUsage, nil},
		{"bad -o", []string{"policy", "lint", "-o", "sarif", good}, exitUsage, nil},
		{"no file", []string{"policy", "lint"}, exitUsage, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := h.vouchIO("", tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out, errOut)
			}
			got := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			for i, want := range tc.lines {
				if i >= len(got) || !strings.HasPrefix(got[i], want) {
					t.Errorf("line %d: want prefix\n%s\ngot:\n%s", i+1, want, out)
				}
			}
			if tc.lines != nil && len(got) != len(tc.lines) {
				t.Errorf("%d lines, want %d:\n%s", len(got), len(tc.lines), out)
			}
		})
	}
}

// TestPolicyLintJSON decodes the JSON output of a file with warnings and
// of one with an error. A file the loader refuses gets only the warnings
// that need no loaded policy.
func TestPolicyLintJSON(t *testing.T) {
	h := newHarness(t, "registry.invalid")
	h.keys("release", "ci")
	good := h.write("good.yaml", lintPolicy)
	bad := h.write("bad.yaml", strings.Replace(lintPolicy, "maxAge: 24h", "maxAge: 1d", 1))
	at := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		file         string
		code         int
		errs, warns  int
		findings     []string
		firstMessage string
	}{
		{good, exitOK, 0, 3, []string{
			"warning signer-unused /good.yaml 4:3",
			"warning waiver-expired /good.yaml 15:21",
			"warning scope-overlap /good.yaml 17:13",
		}, `signer "ci" is not used by any policy`},
		{bad, exitUsage, 1, 0, []string{
			"error invalid /bad.yaml 12:17",
		}, `maxAge "1d" is not a Go duration`},
	}
	for _, tc := range tests {
		code, out, _ := h.vouchIO("", "policy", "lint", "-o", "json", "--at", "2027-01-01", tc.file)
		if code != tc.code {
			t.Fatalf("%s: exit %d, want %d\n%s", tc.file, code, tc.code, out)
		}
		var rep lintReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("decoding %q: %v", out, err)
		}
		if rep.File != tc.file || !rep.At.Equal(at) || rep.Errors != tc.errs || rep.Warnings != tc.warns {
			t.Errorf("file %q at %v, %d errors, %d warnings; want %q at %v, %d and %d",
				rep.File, rep.At, rep.Errors, rep.Warnings, tc.file, at, tc.errs, tc.warns)
		}
		var got []string
		for _, f := range rep.Findings {
			got = append(got, fmt.Sprintf("%s %s %s %d:%d", f.Severity, f.Check,
				strings.TrimPrefix(f.File, h.dir), f.Line, f.Column))
		}
		if diff := cmp.Diff(tc.findings, got); diff != "" {
			t.Fatalf("findings (-want +got):\n%s\n%s", diff, out)
		}
		if m := rep.Findings[0].Message; !strings.Contains(m, tc.firstMessage) {
			t.Errorf("first message %q lacks %q", m, tc.firstMessage)
		}
	}
}
