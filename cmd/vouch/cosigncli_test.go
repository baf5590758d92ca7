package main

import (
	"strings"
	"testing"

	"github.com/vouchsec/vouch/internal/cosigncli"
	"github.com/vouchsec/vouch/internal/testreg"
)

// TestCosignCLIAcceptsVouch checks that the cosign CLI built from go.mod
// verifies what vouch signs and attests.
func TestCosignCLIAcceptsVouch(t *testing.T) {
	h := newHarness(t, testreg.GGCR(t, false))
	img, _ := h.push("staging/app", "1.0.0")
	h.keys("release", "ci")
	signAndAttest(h, img)

	run := func(args ...string) string {
		t.Helper()
		out, errOut, err := cosigncli.Run(t, nil, args...)
		if err != nil {
			t.Fatalf("cosign %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
		}
		return out
	}
	out := run("verify", "--key", h.path("keys/release.pub"), img)
	if !strings.Contains(out, "docker-manifest-digest") {
		t.Errorf("cosign verify printed no payload:\n%s", out)
	}
	run("verify-attestation", "--key", h.path("keys/ci.pub"), "--type", "spdxjson", img)
	run("verify-attestation", "--key", h.path("keys/ci.pub"), "--type", "vuln", img)

	// And the CLI must refuse with the wrong key, or the checks above prove
	// nothing.
	if _, _, err := cosigncli.Run(t, nil, "verify", "--key", h.path("keys/ci.pub"), img); err == nil {
		t.Fatal("cosign verify accepted the wrong key")
	}
}

// TestVouchAcceptsCosignCLI checks that vouch verifies what the cosign CLI
// signs and attests.
func TestVouchAcceptsCosignCLI(t *testing.T) {
	h := newHarness(t, testreg.GGCR(t, false))
	img, _ := h.push("staging/app", "1.0.0")
	h.keys("release", "ci")
	env := []string{"COSIGN_PASSWORD=" + testPassword}
	run := func(args ...string) {
		t.Helper()
		out, errOut, err := cosigncli.Run(t, env, args...)
		if err != nil {
			t.Fatalf("cosign %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
		}
	}
	run("sign", "--yes", "--key", h.path("keys/release.key"), img)
	run("attest", "--yes", "--key", h.path("keys/ci.key"), "--type", "spdxjson",
		"--predicate", testdataPath(t, "sbom/sample.spdx.json"), img)
	run("attest", "--yes", "--key", h.path("keys/ci.key"), "--type", "vuln",
		"--predicate", h.vulnPredicate(), img)

	pol := h.policy(fullPolicy)
	out := h.must("verify", "--policy", pol, "-o", "json", img)
	rep := decodeReport(t, out)
	if !rep.Passed || len(rep.Images[0].Evidence) != 3 {
		t.Fatalf("vouch did not accept cosign's evidence:\n%s", out)
	}
}

// vulnPredicate writes the cosign vulnerability predicate vouch would
// make from the clean sample report, for cosign attest --type vuln.
func (h *harness) vulnPredicate() string {
	h.t.Helper()
	_, pred, err := readPredicate("", testdataPath(h.t, "scan/clean.trivy.json"))
	if err != nil {
		h.t.Fatal(err)
	}
	return h.write("vuln.predicate.json", string(pred))
}
