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

func sample() *verify.Report {
	return &verify.Report{
		SchemaVersion: verify.SchemaVersion,
		Policy:        "trust.yaml",
		Time:          time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC),
		Images: []*verify.ImageResult{{
			Reference:  "127.0.0.1:5000/staging/app:1.0.0",
			Digest:     "sha256:7345ac28d48c752fc6410e0ed767f169f49ed453b708eca563dce07d58152e93",
			Repository: "127.0.0.1:5000/staging/app",
			Status:     verify.StatusFail,
			Policies: []verify.PolicyResult{{Name: "production", Checks: []verify.Check{
				{Requirement: "signatures.anyOf", Passed: true, Reason: "signed by release",
					SatisfiedBy: []string{"release"}, Position: "trust.yaml:9:17"},
				{Requirement: "attestations[0] vuln", Reason: "maxSeverity high: 1 finding(s) above it: " +
					"CVE-2019-18224 (critical, libidn2-0 2.0.5-1)", Position: "trust.yaml:11:9"},
			}}},
			Evidence: []verify.EvidenceResult{
				{Kind: verify.KindSignature, Backend: "cosign", Source: "app:sha256-73.sig layer 1",
					VerifiedBy: []string{"release"}},
				{Kind: verify.KindAttestation, Backend: "cosign", Source: "app:sha256-73.att layer 1",
					PredicateType: "https://cosign.sigstore.dev/attestation/vuln/v1", VerifiedBy: []string{"ci"}},
			},
		}, {
			Reference: "127.0.0.1:1/staging/gone:1",
			Status:    verify.StatusError,
			Error:     "resolving 127.0.0.1:1/staging/gone:1: registry unreachable",
			Policies:  []verify.PolicyResult{},
			Evidence:  []verify.EvidenceResult{},
		}},
	}
}

func TestGolden(t *testing.T) {
	for _, f := range []report.Format{report.Table, report.JSON} {
		t.Run(string(f), func(t *testing.T) {
			var buf bytes.Buffer
			if err := report.Write(&buf, f, sample()); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "report."+string(f)+".golden")
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if d := cmp.Diff(string(want), buf.String()); d != "" {
				t.Errorf("%s output differs from %s (-want +got):\n%s", f, golden, d)
			}
		})
	}
}

func TestParseFormat(t *testing.T) {
	for _, s := range []string{"table", "json"} {
		if _, err := report.ParseFormat(s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	if _, err := report.ParseFormat("yaml"); err == nil {
		t.Error("yaml accepted")
	}
}
