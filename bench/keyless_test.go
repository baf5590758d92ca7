package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/vouchsec/vouch/internal/testreg"
	"github.com/vouchsec/vouch/internal/teststack"
	"github.com/vouchsec/vouch/pkg/policy"

	"github.com/vouchsec/vouch/internal/gotool"
)

// releaser is the identity the keyless benchmark signs as: the email
// that the loopback Fulcio writes into the certificate.
const releaser = "release@acme.example"

// keylessPolicyYAML requires what `cosign verify` checks keyless: one
// signature by a Fulcio certificate for releaser from the issuer. The
// verbs fill in the issuer, the subject and the trusted root.
const keylessPolicyYAML = `version: v1
signers:
  release:
    cosign:
      keyless: {issuer: %s, subject: %s, trustedRoot: %s}
policies:
  - name: bench
    scope: ["*/bench/**"]
    signatures: {anyOf: [release]}
`

// BenchmarkVerifyKeyless times the check of a keyless signature: `vouch
// verify` against the policy, then `cosign verify` offline against the
// same trusted root and identity. Each iteration runs both, in that order.
func BenchmarkVerifyKeyless(b *testing.B) {
	fx := newKeylessFixture(b)
	vouchArgs, cosignArgs := fx.vouchVerify(), fx.cosignVerify()
	var v, c tally
	for b.Loop() {
		v.add(mustRun(b, fx.run, fx.vouch, vouchArgs))
		c.add(mustRun(b, fx.run, fx.cosign, cosignArgs))
	}
	report(b, v, c, "cosign-verify-maxrss-MB", true)
}

// keylessFixture is what BenchmarkVerifyKeyless works on: a registry
// holding the sample image signed keyless by vouch against the loopback
// Sigstore deployment, its trusted root and the policy.
type keylessFixture struct {
	binaries
	run    *runner
	image  string // host/repo@sha256:...
	issuer string // the OIDC issuer in the certificate
	root   string // trusted_root.json
	policy string // the policy file
}

// newKeylessFixture starts the Sigstore deployment and a counting
// registry, pushes the sample image and signs it keyless with vouch.
func newKeylessFixture(b *testing.B) *keylessFixture {
	b.Helper()
	fx := &keylessFixture{binaries: buildBinaries(b)}
	s := teststack.Start(b)
	dir := b.TempDir()
	host, counter := testreg.GGCRCounted(b, true)
	fx.run = newRunner(b, offlineEnv(filepath.Join(dir, "home")), counter)
	fx.image = host + "/" + repo + "@" + testreg.PushSample(b, host, repo, "1.0.0").String()
	fx.issuer = s.IssuerURL(teststack.EmailIssuer)
	fx.root = s.WriteTrustedRoot(b, dir)
	// Classic format, no timestamp: the certificate, its SCT and the
	// Rekor bundle are what both tools check.
	sign := []string{"sign", "--keyless", "--identity-token", s.EmailToken(b, releaser),
		"--fulcio-url", s.FulcioURL, "--rekor-url", s.RekorURL,
		"--trusted-root", fx.root, fx.image}
	if _, err := fx.run.run(nil, fx.vouch, sign...); err != nil {
		b.Fatalf("signing keyless: %v\nfulcio:\n%s", err, lastLines(s.FulcioLog(), 20))
	}
	fx.policy = filepath.Join(dir, "policy.yaml")
	doc := fmt.Sprintf(keylessPolicyYAML, fx.issuer, releaser, fx.root)
	if err := os.WriteFile(fx.policy, []byte(doc), 0o600); err != nil {
		b.Fatal(err)
	}
	// Once untimed: a warm page cache, and a failure before any number.
	mustRun(b, fx.run, fx.vouch, fx.vouchVerify())
	mustRun(b, fx.run, fx.cosign, fx.cosignVerify())
	return fx
}

// vouchVerify is the vouch command line that checks the signature.
func (fx *keylessFixture) vouchVerify() []string {
	return []string{"verify", "--policy", fx.policy, fx.image}
}

// cosignVerify is the cosign command line that checks the same: the
// certificate's chain to the trusted root's Fulcio CA, its SCT, the
// Rekor bundle's signed entry timestamp (--offline: never looked up) and
// the identity.
func (fx *keylessFixture) cosignVerify() []string {
	return []string{"verify", "--offline", "--insecure-ignore-tlog=false",
		"--trusted-root", fx.root,
		"--certificate-identity", releaser,
		"--certificate-oidc-issuer", fx.issuer, fx.image}
}

// TestKeylessPolicy checks that the keyless benchmark's policy is one
// vouch accepts, that it covers the benchmark's repository and requires a
// signature by the one keyless signer, with the log required.
func TestKeylessPolicy(t *testing.T) {
	root, err := gotool.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	trusted := filepath.Join(root, "pkg", "policy", "testdata", "trusted_root.json")
	file := filepath.Join(t.TempDir(), "policy.yaml")
	doc := fmt.Sprintf(keylessPolicyYAML, "https://issuer.example", releaser, trusted)
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	pol, err := policy.Load(file)
	if err != nil {
		t.Fatalf("the keyless benchmark policy does not load: %v", err)
	}
	matched := pol.Match("127.0.0.1:5000/" + repo)
	if len(matched) != 1 {
		t.Fatalf("%d policies match the benchmark repository, want 1", len(matched))
	}
	if matched[0].Signatures == nil {
		t.Fatal("the policy requires no signature")
	}
	s := pol.Signers["release"]
	if s == nil || s.Cosign == nil || s.Cosign.Keyless == nil {
		t.Fatal("the policy has no keyless signer release")
	}
	if k := s.Cosign.Keyless; k.Subject != releaser || !k.RequireTlog {
		t.Errorf("signer release is %+v, want keyless for %s with the log required", k, releaser)
	}
}
