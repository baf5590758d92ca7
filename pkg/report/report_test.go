package report_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vouchsec/vouch/pkg/report"
	"github.com/vouchsec/vouch/verify"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const (
	appDigest = "sha256:7345ac28d48c752fc6410e0ed767f169f49ed453b708eca563dce07d58152e93"
	webDigest = "sha256:0f2c3b1a4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8"
)

// opts are the rendering options of the golden files.
var opts = report.Options{ToolVersion: "v0.0.0-test"}

// sample is a report with a passing image (one of its findings waived), a
// failing one, one no policy applies to, and one that could not be
// checked.
func sample() *verify.Report {
	return &verify.Report{
		SchemaVersion: verify.SchemaVersion,
		Policy:        "trust.yaml",
		Time:          time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC),
		Images:        []*verify.ImageResult{passing(), failing(), unmatched(), errored()},
	}
}

func passing() *verify.ImageResult {
	return &verify.ImageResult{
		Reference:  "127.0.0.1:5000/staging/web:2.1.0",
		Digest:     webDigest,
		Repository: "127.0.0.1:5000/staging/web",
		Status:     verify.StatusPass,
		Policies: []verify.PolicyResult{{Name: "production", Passed: true, Checks: []verify.Check{
			{Requirement: "signatures.anyOf", Passed: true, Reason: "signed by release",
				SatisfiedBy: []string{"release"}, Position: "trust.yaml:9:17"},
			{Requirement: "attestations[0] vuln", Passed: true,
				Reason: "https://cosign.sigstore.dev/attestation/vuln/v1 attestation signed by ci, " +
					"created 2026-12-03T10:00:00Z, 1 finding(s) waived",
				SatisfiedBy: []string{"ci"}, Position: "trust.yaml:11:9",
				Waived: []string{"CVE-2024-0001 (critical, openssl 3.0.1) until 2027-01-31: not reachable"}},
		}}},
		Evidence: []verify.EvidenceResult{
			{Kind: verify.KindSignature, Backend: "cosign", Source: "web:sha256-0f.sig layer 1",
				VerifiedBy: []string{"release"}},
			{Kind: verify.KindAttestation, Backend: "notation",
				Source:        "web@sha256:9a (notation-signed attestation)",
				PredicateType: "https://cosign.sigstore.dev/attestation/vuln/v1", VerifiedBy: []string{"ci"},
				Notes: []string{"ci: level audit: expiry failed and was only logged: expired"}},
		},
	}
}

func failing() *verify.ImageResult {
	return &verify.ImageResult{
		Reference:  "127.0.0.1:5000/staging/app:1.0.0",
		Digest:     appDigest,
		Repository: "127.0.0.1:5000/staging/app",
		Status:     verify.StatusFail,
		Policies: []verify.PolicyResult{{Name: "production", Checks: []verify.Check{
			{Requirement: "signatures.anyOf", Passed: true, Reason: "signed by release",
				SatisfiedBy: []string{"release"}, Position: "trust.yaml:9:17"},
			{Requirement: "attestations[0] vuln", Reason: "maxSeverity high: 1 finding(s) above it: " +
				"CVE-2019-18224 (critical, libidn2-0 2.0.5-1)", Position: "trust.yaml:11:9",
				Waived: []string{"CVE-2024-0001 (critical, openssl 3.0.1) until 2027-01-31: not reachable"}},
		}}},
		Evidence: []verify.EvidenceResult{
			{Kind: verify.KindSignature, Backend: "cosign", Source: "app:sha256-73.sig layer 1",
				VerifiedBy: []string{"release"}},
			{Kind: verify.KindAttestation, Backend: "cosign", Source: "app:sha256-73.att layer 1",
				PredicateType: "https://cosign.sigstore.dev/attestation/vuln/v1", VerifiedBy: []string{"ci"}},
			{Kind: verify.KindSignature, Backend: "cosign", Source: "app:sha256-73.sig layer 2",
				VerifiedBy: []string{}, Failures: map[string]string{"release": "signature: invalid signature"}},
		},
	}
}

func unmatched() *verify.ImageResult {
	return &verify.ImageResult{
		Reference:  "127.0.0.1:5000/dev/tool@" + appDigest,
		Digest:     appDigest,
		Repository: "127.0.0.1:5000/dev/tool",
		Status:     verify.StatusFail,
		Policies: []verify.PolicyResult{{Name: verify.NoPolicy, Checks: []verify.Check{{
			Requirement: "scope",
			Reason:      "no policy applies: no policy in trust.yaml matches 127.0.0.1:5000/dev/tool",
		}}}},
		Evidence: []verify.EvidenceResult{},
	}
}

func errored() *verify.ImageResult {
	return &verify.ImageResult{
		Reference: "127.0.0.1:1/staging/gone:1",
		Status:    verify.StatusError,
		Error:     "resolving 127.0.0.1:1/staging/gone:1: registry unreachable",
		Policies:  []verify.PolicyResult{},
		Evidence:  []verify.EvidenceResult{},
	}
}

func render(t *testing.T, f report.Format, rep *verify.Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := report.Write(&buf, f, rep, opts); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	for _, f := range report.Formats() {
		t.Run(string(f), func(t *testing.T) {
			got := render(t, f, sample())
			golden := filepath.Join("testdata", "report."+string(f)+".golden")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if d := cmp.Diff(string(want), string(got)); d != "" {
				t.Errorf("%s output differs from %s (-want +got):\n%s", f, golden, d)
			}
		})
	}
}

func TestParseFormat(t *testing.T) {
	for _, s := range []string{"table", "json", "sarif", "junit"} {
		if _, err := report.ParseFormat(s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	for _, s := range []string{"yaml", "SARIF", ""} {
		if _, err := report.ParseFormat(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
	_, err := report.ParseFormat("sarif", report.Table, report.JSON)
	if err == nil || err.Error() != `unknown output format "sarif" (want table or json)` {
		t.Errorf("sarif where only table and json are allowed: %v", err)
	}
}
