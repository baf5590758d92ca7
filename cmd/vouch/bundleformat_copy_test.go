package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/vouchsec/vouch/attest"
	"github.com/vouchsec/vouch/internal/testtsa"
	vcosign "github.com/vouchsec/vouch/pkg/cosign"
	"github.com/vouchsec/vouch/pkg/policy"
)

// signBundleFormat attaches a bundle-format signature by release and SBOM
// attestation by ci to img, as cosign --new-bundle-format stores them.
func signBundleFormat(h *harness, tsa *testtsa.TSA, img string) {
	h.t.Helper()
	d, err := name.NewDigest(img)
	if err != nil {
		h.t.Fatal(err)
	}
	st, err := vcosign.SignStatement(d)
	if err != nil {
		h.t.Fatal(err)
	}
	writeBundle(h, d, signWith(h, "release", tsa, st), vcosign.SignPredicateType)
	pred, err := os.ReadFile(testdataPath(h.t, "sbom/sample.spdx.json"))
	if err != nil {
		h.t.Fatal(err)
	}
	dh, err := v1.NewHash(d.DigestStr())
	if err != nil {
		h.t.Fatal(err)
	}
	sbom, err := attest.Statement(d.Context().Name(), dh, policy.PredicateSPDX, pred)
	if err != nil {
		h.t.Fatal(err)
	}
	writeBundle(h, d, signWith(h, "ci", tsa, sbom), policy.PredicateSPDX)
}

// checkBundleEvidence checks a verify report passed on the two
// bundle-format referrers.
func checkBundleEvidence(t *testing.T, out string) {
	t.Helper()
	rep := decodeReport(t, out)
	ev := rep.Images[0].Evidence
	if !rep.Passed || len(ev) != 2 {
		t.Fatalf("want a pass on two bundle referrers:\n%s", out)
	}
	for _, e := range ev {
		if e.Backend != "sigstore-bundle" || !strings.Contains(e.Source, " referrer sha256:") {
			t.Errorf("evidence %+v is not a bundle referrer", e)
		}
	}
}

// TestBundleFormatPromote checks that vouch promote copies bundle
// referrers, so that the destination verifies, with and without the
// referrers API.
func TestBundleFormatPromote(t *testing.T) {
	for _, referrers := range []bool{true, false} {
		t.Run(map[bool]string{true: "referrers API", false: "referrers tag"}[referrers],
			func(t *testing.T) {
				h, tsa, img := bundleHarness(t, referrers)
				signBundleFormat(h, tsa, img)
				pol := h.write("policy.yaml", bundlePolicy)
				dst := h.ref("prod/app:1.0.0")
				h.must("promote", "--policy", pol, img, dst)
				checkBundleEvidence(t, h.must("verify", "--policy", pol, "-o", "json", dst))
			})
	}
}

// TestBundleFormatExport checks that vouch bundle export carries bundle
// referrers and that the offline bundle verifies them.
func TestBundleFormatExport(t *testing.T) {
	h, tsa, img := bundleHarness(t, true)
	signBundleFormat(h, tsa, img)
	pol := h.write("policy.yaml", bundlePolicy)
	tarFile := filepath.Join(t.TempDir(), "app.tar")
	out := h.must("bundle", "export", img, "-o", tarFile, "--policy", pol)
	if !strings.Contains(out, ": passed") {
		t.Errorf("export did not verify the bundle referrers:\n%s", out)
	}
	restore := noDial(t)
	defer restore()
	ch := newHarness(t, "")
	checkBundleEvidence(t, ch.must("verify", "--offline", "--bundle", tarFile, "--policy", pol,
		"-o", "json"))
	// And with the policy the bundle carries, whose key signer's trusted
	// root travelled with it.
	// (The harness mixes stderr, where the self-vouching warning goes,
	// into the output, so this checks the table.)
	ch.expect(exitOK, []string{"PASS", "signed by release", "attestation signed by ci"},
		"verify", "--offline", "--bundle", tarFile)
}
