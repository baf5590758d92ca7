package main

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/vouchsec/vouch/attest"
	"github.com/vouchsec/vouch/internal/testreg"
)

// TestRefusals checks that each way evidence can fall short is refused
// with exit 1 and a reason naming the failed check.
func TestRefusals(t *testing.T) {
	sbomReq := `  - name: p
    scope: ["*/staging/**"]
    attestations: [{type: sbom, signedBy: [ci]}]
`
	tests := []struct {
		name string
		// setup signs and attests img and returns the policies section and
		// the image to verify.
		setup func(h *harness, img string) (string, string)
		want  []string
	}{
		{"wrong key", func(h *harness, img string) (string, string) {
			h.must("sign", "--key", h.path("keys/ci.key"), img)
			return fullPolicy, img
		}, []string{"signatures.anyOf", "no valid signature by any of [release]", "signature"}},
		{"signature copied to another digest", func(h *harness, img string) (string, string) {
			h.must("sign", "--key", h.path("keys/release.key"), img)
			other := h.pushVariant(img)
			h.copyEvidence(img, other, ".sig")
			return sigOnly, other
		}, []string{"payload-digest"}},
		{"flipped signature byte", func(h *harness, img string) (string, string) {
			h.must("sign", "--key", h.path("keys/release.key"), img)
			h.rewrite(img, ".sig", flipSignature)
			return sigOnly, img
		}, []string{"signatures.anyOf", "signature"}},
		{"flipped payload byte", func(h *harness, img string) (string, string) {
			h.must("sign", "--key", h.path("keys/release.key"), img)
			h.rewrite(img, ".sig", flipPayload)
			return sigOnly, img
		}, []string{"signatures.anyOf", "signature"}},
		{"flipped DSSE envelope byte", func(h *harness, img string) (string, string) {
			h.must("attest", "--key", h.path("keys/ci.key"), "--sbom", sample(h), img)
			h.rewrite(img, ".att", flipEnvelope(h.t))
			return sbomReq, img
		}, []string{"attestations[0] sbom", "no sbom attestation verifies", "dsse"}},
		{"attestation subject names another digest", func(h *harness, img string) (string, string) {
			other := h.pushVariant(img)
			h.must("attest", "--key", h.path("keys/ci.key"), "--sbom", sample(h), other)
			h.copyEvidence(other, img, ".att")
			return sbomReq, img
		}, []string{"attestations[0] sbom", "subject"}},
		{"required type absent, another present", func(h *harness, img string) (string, string) {
			h.must("attest", "--key", h.path("keys/ci.key"), "--sbom", sample(h), img)
			return `  - name: p
    scope: ["*/staging/**"]
    attestations: [{type: vuln, signedBy: [ci]}]
`, img
		}, []string{"attestations[0] vuln", "no vuln attestation", "https://spdx.dev/Document"}},
		{"older than maxAge", func(h *harness, img string) (string, string) {
			h.must("attest", "--key", h.path("keys/ci.key"), "--sbom", sample(h), img)
			return `  - name: p
    scope: ["*/staging/**"]
    attestations: [{type: sbom, signedBy: [ci], maxAge: 720h}]
`, img
		}, []string{"maxAge", "more than maxAge 720h0m0s"}},
		{"critical above maxSeverity", func(h *harness, img string) (string, string) {
			h.must("attest", "--key", h.path("keys/ci.key"), "--scan", critical(h), img)
			return vulnPolicy(""), img
		}, []string{"attestations[0] vuln", "maxSeverity high", "(critical"}},
		{"waiver past its date", func(h *harness, img string) (string, string) {
			h.must("attest", "--key", h.path("keys/ci.key"), "--scan", critical(h), img)
			return vulnPolicy(waivers(h.t, critical(h), "2020-01-31")), img
		}, []string{"maxSeverity high", "waiver expired 2020-01-31"}},
		{"attestation by a signer not in signedBy", func(h *harness, img string) (string, string) {
			h.must("attest", "--key", h.path("keys/release.key"), "--sbom", sample(h), img)
			return sbomReq, img
		}, []string{"signed by release, not by any of signedBy [ci]"}},
		{"no policy matches", func(h *harness, img string) (string, string) {
			h.must("sign", "--key", h.path("keys/release.key"), img)
			return `  - name: p
    scope: ["*/prod/**"]
    signatures: {anyOf: [release]}
`, img
		}, []string{"no policy", "matches"}},
	}
	host := testreg.GGCR(t, true)
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, host)
			img, _ := h.push(fmt.Sprintf("staging/refuse%d", i), "1.0.0")
			h.keys("release", "ci")
			policies, target := tc.setup(h, img)
			pol := h.policy(policies)
			h.expect(exitPolicy, tc.want, "verify", "--policy", pol, target)
		})
	}
}

const sigOnly = `  - name: p
    scope: ["*/staging/**"]
    signatures: {anyOf: [release]}
`

func vulnPolicy(waivers string) string {
	return `  - name: p
    scope: ["*/staging/**"]
    attestations:
      - type: vuln
        signedBy: [ci]
        rules:
          maxSeverity: high
` + waivers
}

// waivers waives every finding above high in the report until date.
func waivers(t *testing.T, report, until string) string {
	t.Helper()
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	scan, err := attest.ParseScan(data)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("          waivers:\n")
	seen := map[string]bool{}
	for _, f := range scan.Findings {
		if f.Severity <= attest.SeverityHigh && f.Severity != attest.SeverityUnknown || seen[f.ID] {
			continue
		}
		seen[f.ID] = true
		fmt.Fprintf(&b, "            - {id: %s, until: %s, reason: test}\n", f.ID, until)
	}
	if len(seen) == 0 {
		t.Fatalf("%s has no finding above high", report)
	}
	return b.String()
}

func sample(h *harness) string   { return testdataPath(h.t, "sbom/sample.spdx.json") }
func critical(h *harness) string { return testdataPath(h.t, "scan/critical.trivy.json") }

// TestActiveWaiver checks that a waiver in force lets a finding through
// and that the report lists it as waived.
func TestActiveWaiver(t *testing.T) {
	h := newHarness(t, testreg.GGCR(t, false))
	img, _ := h.push("staging/app", "1.0.0")
	h.keys("release", "ci")
	h.must("attest", "--key", h.path("keys/ci.key"), "--scan", critical(h), img)
	pol := h.policy(vulnPolicy(waivers(t, critical(h), "2999-12-31")))
	out := h.must("verify", "--policy", pol, "-o", "json", img)
	rep := decodeReport(t, out)
	c := rep.Images[0].Policies[0].Checks[0]
	if !c.Passed || len(c.Waived) == 0 {
		t.Fatalf("want a pass with waived findings, got %+v", c)
	}
}
