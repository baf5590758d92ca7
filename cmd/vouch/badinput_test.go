package main

import (
	"os"
	"testing"

	"github.com/vouchsec/vouch/internal/testreg"
)

// TestBadInput checks that bad files and flags exit 2 naming the file and
// the problem, before anything is written.
func TestBadInput(t *testing.T) {
	h := newHarness(t, testreg.GGCR(t, false))
	img, _ := h.push("staging/app", "1.0.0")
	h.keys("release", "ci")

	policies := []struct {
		name, body string
		want       []string
	}{
		{"unknown field", `  - name: p
    scope: ["**"]
    signatures: {anyOf: [release]}
    colour: blue
`, []string{"policy.yaml:9:5", "colour"}},
		{"unknown signer", `  - name: p
    scope: ["**"]
    signatures: {anyOf: [nobody]}
`, []string{"policy.yaml:8:26", "nobody"}},
		{"bad glob", `  - name: p
    scope: ["*/staging/[app"]
    signatures: {anyOf: [release]}
`, []string{"policy.yaml:7:", "[app"}},
		{"bad duration", `  - name: p
    scope: ["**"]
    attestations: [{type: sbom, signedBy: [ci], maxAge: 3 weeks}]
`, []string{"policy.yaml:8:", "3 weeks"}},
	}
	for _, tc := range policies {
		t.Run("policy "+tc.name, func(t *testing.T) {
			pol := h.policy(tc.body)
			h.expect(exitUsage, tc.want, "verify", "--policy", pol, img)
		})
	}

	t.Run("sbom that is not an SBOM", func(t *testing.T) {
		h.expect(exitUsage, []string{"clean.trivy.json"}, "attest", "--key", h.path("keys/ci.key"),
			"--sbom", testdataPath(t, "scan/clean.trivy.json"), img)
	})
	t.Run("truncated scan report", func(t *testing.T) {
		data, err := os.ReadFile(critical(h))
		if err != nil {
			t.Fatal(err)
		}
		cut := h.write("cut.json", string(data[:len(data)/2]))
		h.expect(exitUsage, []string{"cut.json"}, "attest", "--key", h.path("keys/ci.key"),
			"--scan", cut, img)
	})
	t.Run("wrong password", func(t *testing.T) {
		h.env["VOUCH_PASSWORD"] = "wrong"
		defer func() { h.env["VOUCH_PASSWORD"] = testPassword }()
		h.expect(exitUsage, []string{"wrong password", "release.key"},
			"sign", "--key", h.path("keys/release.key"), img)
	})
	t.Run("key generate refuses to overwrite", func(t *testing.T) {
		h.expect(exitUsage, []string{"release"}, "key", "generate",
			"--output-key-prefix", h.path("keys/release"))
	})
	t.Run("no password and no terminal", func(t *testing.T) {
		delete(h.env, "VOUCH_PASSWORD")
		defer func() { h.env["VOUCH_PASSWORD"] = testPassword }()
		h.expect(exitUsage, []string{"VOUCH_PASSWORD"}, "key", "generate",
			"--output-key-prefix", h.path("keys/other"))
	})
	t.Run("unknown output format", func(t *testing.T) {
		h.expect(exitUsage, []string{"yaml"}, "verify", "--policy", h.policy(sigOnly), "-o", "yaml", img)
	})
}

// TestRegistryDown checks exit 3 when the registry does not answer.
func TestRegistryDown(t *testing.T) {
	h := newHarness(t, "127.0.0.1:1")
	h.keys("release", "ci")
	pol := h.policy(sigOnly)
	h.expect(exitRegistry, []string{"127.0.0.1:1"}, "verify", "--policy", pol, h.ref("staging/app:1.0.0"))
}
