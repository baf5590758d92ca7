package main

import (
	"os"
	"testing"

	"github.com/vouchsec/vouch/internal/testreg"
)

// TestOneKeyCountsOnce checks that allOf and threshold need as many keys
// as they name signers: one key under two signer names (here, a copied
// key file) is one signer, however the policy names it.
func TestOneKeyCountsOnce(t *testing.T) {
	h := newHarness(t, testreg.GGCR(t, true))
	img, _ := h.push("staging/app", "1.0.0")
	h.keys("release", "ci")
	pub, err := os.ReadFile(h.path("keys/release.pub"))
	if err != nil {
		t.Fatal(err)
	}
	h.write("keys/release-copy.pub", string(pub))
	h.must("sign", "--key", h.path("keys/release.key"), img)
	policyWith := func(file, rule string) string {
		return h.write(file, `version: v1
signers:
  alice: {cosign: {key: keys/release.pub}}
  bob: {cosign: {key: keys/release-copy.pub}}
  carol: {cosign: {key: keys/ci.pub}}
policies:
  - name: p
    scope: ["*/staging/**"]
    signatures: `+rule+`
`)
	}
	threshold := policyWith("threshold.yaml", "{threshold: {count: 2, of: [alice, bob, carol]}}")
	allOf := policyWith("allof.yaml", "{allOf: [alice, bob]}")
	h.expect(exitPolicy, []string{"signatures.threshold", "only 1 signed", "[bob] verified only with keys"},
		"verify", "--policy", threshold, img)
	h.expect(exitPolicy, []string{"signatures.allOf", "[bob] verified only with keys"},
		"verify", "--policy", allOf, img)
	h.must("verify", "--policy", policyWith("anyof.yaml", "{anyOf: [bob]}"), img)

	// A second key makes the threshold.
	h.must("sign", "--key", h.path("keys/ci.key"), img)
	h.must("verify", "--policy", threshold, img)
}
