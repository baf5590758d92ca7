package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vouchsec/vouch/internal/testreg"
	"github.com/vouchsec/vouch/verify"
)

// fullPolicy requires the release signature and CI-attested SBOM and scan.
const fullPolicy = `  - name: release
    scope: ["*/staging/**", "*/prod/**"]
    signatures: {anyOf: [release]}
    attestations:
      - {type: sbom, signedBy: [ci]}
      - type: vuln
        signedBy: [ci]
        rules: {maxSeverity: high}
`

// TestMainJob runs sign, attest, verify and promote on each kind of
// registry vouch must work with.
func TestMainJob(t *testing.T) {
	registries := map[string]func(testing.TB) (string, *testreg.Counter){
		"ggcr-referrers":    func(t testing.TB) (string, *testreg.Counter) { return testreg.GGCRCounted(t, true) },
		"ggcr-no-referrers": func(t testing.TB) (string, *testreg.Counter) { return testreg.GGCRCounted(t, false) },
		"distribution":      testreg.DistributionCounted,
	}
	for name, start := range registries {
		t.Run(name, func(t *testing.T) {
			host, counter := start(t)
			h := newHarness(t, host)
			app, digest := h.push("staging/app", "1.0.0")
			h.keys("release", "ci")
			pol := h.policy(fullPolicy)
			signAndAttest(h, app)

			out := h.must("verify", "--policy", pol, "-o", "json", app)
			rep := decodeReport(t, out)
			if !rep.Passed || rep.Images[0].Digest != digest.String() {
				t.Fatalf("verify: %s", out)
			}
			if got := len(rep.Images[0].Evidence); got != 3 {
				t.Errorf("evidence: got %d items, want 3 (1 signature, 2 attestations)", got)
			}

			prod := h.ref("prod/app:1.0.0")
			out = h.must("promote", "--policy", pol, app, prod)
			if !strings.Contains(out, "copied") {
				t.Errorf("first promotion copied nothing:\n%s", out)
			}
			out = h.must("verify", "--policy", pol, "-o", "json", prod)
			if rep := decodeReport(t, out); rep.Images[0].Digest != digest.String() {
				t.Fatalf("prod tag names %s, want %s", rep.Images[0].Digest, digest)
			}
			counter.Reset()
			out = h.must("promote", "--policy", pol, "-o", "json", app, prod)
			for _, s := range decodePromotion(t, out).Steps {
				if s.Action != "already present" {
					t.Errorf("second promotion: %s %s was %s", s.What, s.Target, s.Action)
				}
			}
			if w := counter.Writes(); w != 0 {
				t.Errorf("second promotion made %d write requests, want 0", w)
			}

			counter.Reset()
			h.must("verify", "--policy", pol, app)
			if n := counter.Count(); n > 10 {
				t.Errorf("verify made %d registry requests, the budget is 10", n)
			}
			t.Logf("verify of a signature and two attestations: %d registry requests", counter.Count())
		})
	}
}

func signAndAttest(h *harness, img string) {
	h.t.Helper()
	h.must("sign", "--key", h.path("keys/release.key"), img)
	h.must("attest", "--key", h.path("keys/ci.key"), "--sbom",
		testdataPath(h.t, "sbom/sample.spdx.json"), img)
	h.must("attest", "--key", h.path("keys/ci.key"), "--scan",
		testdataPath(h.t, "scan/clean.trivy.json"), img)
}

func decodeReport(t *testing.T, out string) *verify.Report {
	t.Helper()
	var rep verify.Report
	// The harness writes stderr into the same buffer: a note or warning
	// may come before the report.
	if i := strings.Index(out, "\n{"); i >= 0 && !strings.HasPrefix(out, "{") {
		out = out[i+1:]
	}
	// And the exit's error line may follow it.
	if err := json.NewDecoder(strings.NewReader(out)).Decode(&rep); err != nil {
		t.Fatalf("decoding report: %v\n%s", err, out)
	}
	if rep.SchemaVersion != verify.SchemaVersion || len(rep.Images) == 0 {
		t.Fatalf("report without schema version or images:\n%s", out)
	}
	return &rep
}

type promotion struct {
	Digest string `json:"digest"`
	Steps  []struct {
		What, Target, Action string
	} `json:"steps"`
}

func decodePromotion(t *testing.T, out string) *promotion {
	t.Helper()
	var p promotion
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("decoding promotion: %v\n%s", err, out)
	}
	if len(p.Steps) == 0 {
		t.Fatalf("promotion without steps:\n%s", out)
	}
	return &p
}

// TestSignTwiceWritesOnce checks that signing is idempotent.
func TestSignTwiceWritesOnce(t *testing.T) {
	h := newHarness(t, testreg.GGCR(t, false))
	app, _ := h.push("staging/app", "1.0.0")
	h.keys("release")
	h.expect(exitOK, []string{"Signed"}, "sign", "--key", h.path("keys/release.key"), app)
	h.expect(exitOK, []string{"Already signed"}, "sign", "--key", h.path("keys/release.key"), app)
}

// TestDemo runs the demo as a user would.
func TestDemo(t *testing.T) {
	h := newHarness(t, "")
	out := h.must("demo")
	for _, want := range []string{"Demo complete", "exit 1, as expected", "payload-digest", "maxSeverity"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
}
