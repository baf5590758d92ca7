package main

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/sign"

	"github.com/vouchsec/vouch/attest"
	"github.com/vouchsec/vouch/internal/cosigncli"
	"github.com/vouchsec/vouch/internal/testreg"
	"github.com/vouchsec/vouch/internal/testtsa"
	vcosign "github.com/vouchsec/vouch/pkg/cosign"
	"github.com/vouchsec/vouch/pkg/policy"
	"github.com/vouchsec/vouch/pkg/sigstore"
)

// bundlePolicy requires the release signature and a CI-attested SBOM,
// both keys trusting the test TSA's trusted root.
const bundlePolicy = `version: v1
signers:
  release: {cosign: {key: keys/release.pub, trustedRoot: trusted_root.json}}
  ci: {cosign: {key: keys/ci.pub, trustedRoot: trusted_root.json}}
policies:
  - name: release
    scope: ["*/staging/**", "*/prod/**"]
    signatures: {anyOf: [release]}
    attestations: [{type: sbom, signedBy: [ci]}]
`

// bundleHarness is a harness with the release and ci keys, a TSA and a
// trusted root listing it, and the sample image pushed.
func bundleHarness(t *testing.T, referrers bool) (*harness, *testtsa.TSA, string) {
	t.Helper()
	h := newHarness(t, testreg.GGCR(t, referrers))
	img, _ := h.push("staging/app", "1.0.0")
	h.keys("release", "ci")
	tsa := testtsa.Start(t)
	writeTSATrustedRoot(t, h, tsa)
	return h, tsa, img
}

// TestVouchAcceptsCosignBundleFormat checks that vouch verify accepts the
// bundle-format signature and attestation the cosign CLI writes, signed
// with a key and timestamped, with no transparency log.
func TestVouchAcceptsCosignBundleFormat(t *testing.T) {
	for _, referrers := range []bool{true, false} {
		t.Run(map[bool]string{true: "referrers API", false: "referrers tag"}[referrers],
			func(t *testing.T) {
				h, tsa, img := bundleHarness(t, referrers)
				env := []string{"COSIGN_PASSWORD=" + testPassword}
				common := []string{"--yes", "--new-bundle-format", "--tlog-upload=false",
					"--timestamp-server-url", tsa.URL}
				runCosign(t, env, append([]string{"sign", "--key", h.path("keys/release.key")},
					append(common, img)...)...)
				runCosign(t, env, append([]string{"attest", "--key", h.path("keys/ci.key"),
					"--type", "spdxjson", "--predicate", testdataPath(t, "sbom/sample.spdx.json")},
					append(common, img)...)...)

				pol := h.write("policy.yaml", bundlePolicy)
				out := h.must("verify", "--policy", pol, "-o", "json", img)
				rep := decodeReport(t, out)
				ev := rep.Images[0].Evidence
				if !rep.Passed || len(ev) != 2 || ev[0].Backend != "sigstore-bundle" {
					t.Fatalf("vouch did not accept cosign's bundles:\n%s", out)
				}
			})
	}
}

// TestCosignAcceptsVouchBundleFormat checks that cosign verify
// --new-bundle-format accepts what vouch's library writes.
func TestCosignAcceptsVouchBundleFormat(t *testing.T) {
	h, tsa, img := bundleHarness(t, true)
	d, err := name.NewDigest(img)
	if err != nil {
		t.Fatal(err)
	}
	st, err := vcosign.SignStatement(d)
	if err != nil {
		t.Fatal(err)
	}
	writeBundle(h, d, signWith(h, "release", tsa, st), vcosign.SignPredicateType)
	pred, err := os.ReadFile(testdataPath(t, "sbom/sample.spdx.json"))
	if err != nil {
		t.Fatal(err)
	}
	h2, err := v1.NewHash(d.DigestStr())
	if err != nil {
		t.Fatal(err)
	}
	sbom, err := attest.Statement(d.Context().Name(), h2, policy.PredicateSPDX, pred)
	if err != nil {
		t.Fatal(err)
	}
	writeBundle(h, d, signWith(h, "ci", tsa, sbom), policy.PredicateSPDX)

	offline := []string{"--new-bundle-format", "--trusted-root", h.path("trusted_root.json"),
		"--insecure-ignore-tlog", "--use-signed-timestamps"}
	runCosign(t, nil, append([]string{"verify", "--key", h.path("keys/release.pub")},
		append(offline, img)...)...)
	runCosign(t, nil, append([]string{"verify-attestation", "--key", h.path("keys/ci.pub"),
		"--type", "spdxjson"}, append(offline, img)...)...)
	// cosign v2.6.5's verify --new-bundle-format takes any bundle that
	// verifies, attestations included, as a signature, so ci.pub would
	// pass here; a key that signed nothing must not.
	h.keys("other")
	if _, _, err := cosigncli.Run(t, nil, append([]string{"verify", "--key",
		h.path("keys/other.pub")}, append(offline, img)...)...); err == nil {
		t.Fatal("cosign verify accepted the wrong key")
	}

	// And vouch itself accepts them.
	out := h.must("verify", "--policy", h.write("policy.yaml", bundlePolicy), "-o", "json", img)
	if rep := decodeReport(t, out); !rep.Passed {
		t.Fatalf("vouch did not accept its own bundles:\n%s", out)
	}
}

func runCosign(t *testing.T, env []string, args ...string) {
	t.Helper()
	out, errOut, err := cosigncli.Run(t, env, args...)
	if err != nil {
		t.Fatalf("cosign %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
	}
}

// signWith signs an in-toto statement with the harness key n and a
// timestamp from tsa.
func signWith(h *harness, n string, tsa *testtsa.TSA, statement []byte) *bundle.Bundle {
	h.t.Helper()
	pem, err := os.ReadFile(h.path("keys/" + n + ".key"))
	if err != nil {
		h.t.Fatal(err)
	}
	sv, err := vcosign.LoadPrivateKey(pem, []byte(testPassword))
	if err != nil {
		h.t.Fatal(err)
	}
	b, err := sigstore.Sign(h.t.Context(),
		&sign.DSSEData{Data: statement, PayloadType: sigstore.InTotoPayloadType},
		sigstore.SignOptions{Signer: sv, TimestampURL: tsa.URL})
	if err != nil {
		h.t.Fatal(err)
	}
	return b
}

func writeBundle(h *harness, d name.Digest, b *bundle.Bundle, predicateType string) {
	h.t.Helper()
	if err := vcosign.WriteBundle(h.t.Context(), d, b, predicateType, nil); err != nil {
		h.t.Fatal(err)
	}
}
