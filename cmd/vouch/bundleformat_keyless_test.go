package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sigstore/sigstore-go/pkg/sign"

	"github.com/vouchsec/vouch/internal/cosigncli"
	"github.com/vouchsec/vouch/internal/testreg"
	"github.com/vouchsec/vouch/internal/teststack"
	vcosign "github.com/vouchsec/vouch/pkg/cosign"
	"github.com/vouchsec/vouch/pkg/sigstore"
)

// keylessBundlePolicy trusts the bundle-format signatures of one keyless
// identity, with the stack's trusted root.
const keylessBundlePolicy = `version: v1
signers:
  ci: {cosign: {keyless: {issuer: %q, subject: %q, trustedRoot: trusted_root.json}}}
policies:
  - name: release
    scope: ["*/staging/**"]
    signatures: {anyOf: [ci]}
`

// TestBundleFormatKeyless signs bundle-format image signatures keyless
// through the loopback Fulcio, Rekor and TSA, with vouch's library and
// with the cosign CLI, and checks that vouch and cosign accept them.
func TestBundleFormatKeyless(t *testing.T) {
	s := teststack.Start(t)
	const email = "ci@acme.example"
	issuer := s.IssuerURL(teststack.EmailIssuer)

	t.Run("vouch signs", func(t *testing.T) {
		h := newHarness(t, testreg.GGCR(t, true))
		img, _ := h.push("staging/app", "1.0.0")
		root := s.WriteTrustedRoot(t, h.dir)
		d, err := name.NewDigest(img)
		if err != nil {
			t.Fatal(err)
		}
		st, err := vcosign.SignStatement(d)
		if err != nil {
			t.Fatal(err)
		}
		b, err := sigstore.Sign(t.Context(),
			&sign.DSSEData{Data: st, PayloadType: sigstore.InTotoPayloadType},
			sigstore.SignOptions{
				Keyless:  &sigstore.Keyless{FulcioURL: s.FulcioURL, IDToken: s.EmailToken(t, email)},
				RekorURL: s.RekorURL, TimestampURL: s.TSAURL, TrustedRoot: s.TrustedRoot(),
			})
		if err != nil {
			t.Fatalf("signing: %v\nfulcio's log:\n%s", err, s.FulcioLog())
		}
		writeBundle(h, d, b, vcosign.SignPredicateType)
		checkKeylessVerify(t, h, img, issuer, email)

		out, errOut, err := cosigncli.Run(t, nil, "verify", "--new-bundle-format",
			"--trusted-root", root, "--certificate-identity", email,
			"--certificate-oidc-issuer", issuer, img)
		if err != nil {
			t.Fatalf("cosign verify: %v\n%s%s", err, out, errOut)
		}
	})

	t.Run("cosign signs", func(t *testing.T) {
		h := newHarness(t, testreg.GGCR(t, true))
		img, _ := h.push("staging/app", "1.0.0")
		root := s.WriteTrustedRoot(t, h.dir)
		out, errOut, err := cosigncli.Run(t, s.CosignEnv(t, t.TempDir()), "sign", "--yes",
			"--new-bundle-format", "--tlog-upload=true", "--fulcio-url", s.FulcioURL,
			"--rekor-url", s.RekorURL, "--timestamp-server-url", s.TSAURL,
			"--identity-token", s.EmailToken(t, email), "--trusted-root", root, img)
		if err != nil {
			t.Fatalf("cosign sign: %v\n%s%s\nfulcio's log:\n%s", err, out, errOut, s.FulcioLog())
		}
		checkKeylessVerify(t, h, img, issuer, email)
	})
}

// checkKeylessVerify checks that vouch verify passes img for the identity
// and refuses it for another subject.
func checkKeylessVerify(t *testing.T, h *harness, img, issuer, email string) {
	t.Helper()
	pol := h.write("policy.yaml", fmt.Sprintf(keylessBundlePolicy, issuer, email))
	out := h.must("verify", "--policy", pol, "-o", "json", img)
	rep := decodeReport(t, out)
	ev := rep.Images[0].Evidence
	if !rep.Passed || len(ev) != 1 || ev[0].Backend != "sigstore-bundle" ||
		!strings.Contains(out, email+" from "+issuer) {
		t.Fatalf("vouch did not accept the keyless bundle, naming %s:\n%s", email, out)
	}
	other := h.write("other.yaml", fmt.Sprintf(keylessBundlePolicy, issuer, "mallory@acme.example"))
	h.expect(exitPolicy, []string{"identity check failed"}, "verify", "--policy", other, img)
}
