package main

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/vouchsec/vouch/internal/testpki"
	"github.com/vouchsec/vouch/internal/testplugin"
	"github.com/vouchsec/vouch/internal/testreg"
	"github.com/vouchsec/vouch/internal/testtsa"
	vnotation "github.com/vouchsec/vouch/pkg/notation"
)

// notarySubject is the subject of the notation certificates the tests
// generate, and notaryIdentity the trust policy identity that matches it.
const (
	notarySubject  = "CN=release,O=Acme,ST=WA,C=US"
	notaryIdentity = "x509.subject: CN=release,O=Acme,ST=WA,C=US"
)

// notationKeys generates a notation key and development certificates at
// keys/NAME.{key,crt} and keys/NAME-ca.crt.
func (h *harness) notationKeys(name string, extra ...string) {
	h.t.Helper()
	if err := os.MkdirAll(h.path("keys"), 0o700); err != nil {
		h.t.Fatal(err)
	}
	args := append([]string{"key", "generate", "--type", "notation",
		"--subject", notarySubject, "--output-key-prefix", h.path("keys/" + name)}, extra...)
	h.must(args...)
}

// notarySign signs img with the notation key NAME.
func (h *harness) notarySign(name, img string, extra ...string) {
	h.t.Helper()
	args := append([]string{"sign", "--backend", "notation",
		"--key", h.path("keys/" + name + ".key"), "--cert", h.path("keys/" + name + ".crt")}, extra...)
	h.must(append(args, img)...)
}

// notaryPolicy writes a policy whose only signer is the notation signer
// notary, trusting the CA file ca (relative to keys/) with the given
// identity and level.
func (h *harness) notaryPolicy(ca, identity, level, policies string) string {
	h.t.Helper()
	return h.write("policy.yaml", `version: v1
signers:
  notary:
    notation:
      trustStore: keys/`+ca+`
      identities: ["`+identity+`"]
      level: `+level+`
policies:
`+policies)
}

// mixedPolicy writes a policy whose signers are the cosign keys release
// and ci and the notation signer notary, trusting keys/CA with the given
// identity and level.
func (h *harness) mixedPolicy(ca, identity, level, policies string) string {
	h.t.Helper()
	return h.write("policy.yaml", `version: v1
signers:
  release: {cosign: {key: keys/release.pub}}
  ci: {cosign: {key: keys/ci.pub}}
  notary:
    notation:
      trustStore: keys/`+ca+`
      identities: ["`+identity+`"]
      level: `+level+`
policies:
`+policies)
}

// TestNotationWithCosign runs the mixed-backend job on each kind of
// registry: a notation signature and a notation-signed SBOM attestation
// beside a cosign signature, under a policy that requires both signers.
func TestNotationWithCosign(t *testing.T) {
	regs := []struct {
		name  string
		start func(testing.TB) string
	}{
		{"ggcr referrers API", func(t testing.TB) string { return testreg.GGCR(t, true) }},
		{"ggcr tag schema", func(t testing.TB) string { return testreg.GGCR(t, false) }},
		{"distribution", testreg.Distribution},
	}
	for _, reg := range regs {
		for _, env := range []string{vnotation.EnvelopeJWS, vnotation.EnvelopeCOSE} {
			t.Run(reg.name+"/"+env, func(t *testing.T) {
				h := newHarness(t, reg.start(t))
				img, _ := h.push("staging/app", "1.0.0")
				h.keys("release", "ci")
				h.notationKeys("notary")
				pol := h.mixedPolicy("notary-ca.crt", notaryIdentity, "strict", `  - name: both
    scope: ["*/staging/**", "*/prod/**"]
    signatures: {allOf: [release, notary]}
    attestations: [{type: sbom, signedBy: [notary]}]
`)
				h.notarySign("notary", img, "--envelope", env)
				h.must("attest", "--backend", "notation", "--envelope", env,
					"--key", h.path("keys/notary.key"), "--cert", h.path("keys/notary.crt"),
					"--sbom", sample(h), img)
				// The notation evidence alone is not enough.
				h.expect(exitPolicy, []string{"signatures.allOf", "release"},
					"verify", "--policy", pol, img)

				h.must("sign", "--key", h.path("keys/release.key"), img)
				rep := decodeReport(t, h.must("verify", "--policy", pol, "-o", "json", img))
				checks := rep.Images[0].Policies[0].Checks
				if got := slices.Sorted(slices.Values(checks[0].SatisfiedBy)); !slices.Equal(got, []string{"notary", "release"}) {
					t.Errorf("signatures satisfied by %v, want notary and release", got)
				}
				if got := checks[1].SatisfiedBy; !slices.Equal(got, []string{"notary"}) {
					t.Errorf("sbom satisfied by %v, want notary", got)
				}

				// Promotion carries the notation evidence along.
				h.must("promote", "--policy", pol, img, h.ref("prod/app:1.0.0"))
				h.must("verify", "--policy", pol, h.ref("prod/app:1.0.0"))
			})
		}
	}
}

// TestNotationRefusals checks that each way a notation signature can fall
// short is refused with exit 1, naming the failed check.
func TestNotationRefusals(t *testing.T) {
	sigOnlyNotary := `  - name: p
    scope: ["*/staging/**"]
    signatures: {anyOf: [notary]}
`
	tests := []struct {
		name string
		// setup signs img and returns the policy and the image to verify.
		setup func(h *harness, img string) (string, string)
		want  []string
	}{
		{"chain not anchored in the trust store", func(h *harness, img string) (string, string) {
			h.notationKeys("notary")
			h.notationKeys("other")
			h.notarySign("notary", img)
			return h.notaryPolicy("other-ca.crt", notaryIdentity, "strict", sigOnlyNotary), img
		}, []string{"signatures.anyOf", "authenticity"}},
		{"identity does not match", func(h *harness, img string) (string, string) {
			h.notationKeys("notary")
			h.notarySign("notary", img)
			return h.notaryPolicy("notary-ca.crt", "x509.subject: CN=someone else,O=Acme,ST=WA,C=US",
				"strict", sigOnlyNotary), img
		}, []string{"signatures.anyOf", "authenticity"}},
		{"tampered envelope", func(h *harness, img string) (string, string) {
			h.notationKeys("notary")
			h.notarySign("notary", img)
			h.tamperNotation(img)
			return h.notaryPolicy("notary-ca.crt", notaryIdentity, "strict", sigOnlyNotary), img
		}, []string{"signatures.anyOf", "integrity"}},
		{"signature moved to another digest", func(h *harness, img string) (string, string) {
			h.notationKeys("notary")
			h.notarySign("notary", img)
			other := h.pushVariant(img)
			h.moveNotation(img, other)
			return h.notaryPolicy("notary-ca.crt", notaryIdentity, "strict", sigOnlyNotary), other
		}, []string{"signatures.anyOf", "target-artifact"}},
		{"unknown critical attribute", func(h *harness, img string) (string, string) {
			h.notationKeys("notary")
			h.pushCriticalAttribute(img, h.path("keys/notary.key"), h.path("keys/notary.crt"))
			return h.notaryPolicy("notary-ca.crt", notaryIdentity, "strict", sigOnlyNotary), img
		}, []string{"signatures.anyOf", "integrity"}},
		{"revoked certificate", func(h *harness, img string) (string, string) {
			pki := testpki.New(h.t, testpki.Options{Subject: testpki.DefaultSubject()})
			files := pki.WriteFiles(h.dir)
			h.must("sign", "--backend", "notation", "--key", files.Key, "--cert", files.Chain, img)
			pki.Revoke(pki.Leaf)
			return h.notaryPolicy("../root.crt", "x509.subject: C=US, ST=WA, O=vouch test",
				"strict", sigOnlyNotary), img
		}, []string{"signatures.anyOf", "revocation"}},
	}
	host := testreg.GGCR(t, true)
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, host)
			img, _ := h.push(fmt.Sprintf("staging/app%d", i), "1.0.0")
			pol, target := tc.setup(h, img)
			h.expect(exitPolicy, tc.want, "verify", "--policy", pol, target)
		})
	}
}

// TestNotationExpiredCertificate checks that a signature whose certificate
// has expired, with no timestamp to prove it was made in time, fails at
// level strict and passes at permissive, which only logs expiry.
func TestNotationExpiredCertificate(t *testing.T) {
	h := newHarness(t, testreg.GGCR(t, true))
	img, _ := h.push("staging/app", "1.0.0")
	h.notationKeys("short", "--validity", "3s")
	h.notarySign("short", img)
	time.Sleep(4 * time.Second)
	policyAt := func(level string) string {
		return h.notaryPolicy("short-ca.crt", notaryIdentity, level, `  - name: p
    scope: ["*/staging/**"]
    signatures: {anyOf: [notary]}
`)
	}
	h.expect(exitPolicy, []string{"signatures.anyOf", "authenticTimestamp"},
		"verify", "--policy", policyAt("strict"), img)
	h.must("verify", "--policy", policyAt("permissive"), img)
}

// TestNotationSignFlags checks the flag combinations sign refuses.
func TestNotationSignFlags(t *testing.T) {
	h := newHarness(t, testreg.GGCR(t, true))
	img, _ := h.push("staging/app", "1.0.0")
	h.notationKeys("notary")
	key, cert := h.path("keys/notary.key"), h.path("keys/notary.crt")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"notation flag with cosign", []string{"sign", "--key", key, "--cert", cert, img},
			"--cert goes with --backend notation"},
		{"no certificate", []string{"sign", "--backend", "notation", "--key", key, img},
			"needs --key and --cert"},
		{"plugin without key id", []string{"sign", "--backend", "notation", "--plugin", "x", img},
			"--plugin needs --key-id"},
		{"plugin and key", []string{"sign", "--backend", "notation", "--plugin", "x",
			"--key-id", "k", "--key", key, img}, "not --key or --cert"},
		{"bad envelope", []string{"sign", "--backend", "notation", "--key", key, "--cert", cert,
			"--envelope", "pgp", img}, "unknown envelope format"},
		{"timestamp url without root", []string{"sign", "--backend", "notation", "--key", key,
			"--cert", cert, "--timestamp-url", "http://127.0.0.1:1", img}, "go together"},
		{"unknown backend", []string{"sign", "--backend", "gpg", "--key", key, img},
			"want cosign or notation"},
		{"key of another certificate", []string{"sign", "--backend", "notation", "--key", key,
			"--cert", h.otherCert(), img}, "notation"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h.expect(exitUsage, []string{tc.want}, tc.args...)
		})
	}
	// Nothing was signed by any of them.
	d, err := name.NewDigest(img)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := vnotation.Discover(t.Context(), d, vnotation.RegistryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.Signatures) != 0 {
		t.Errorf("refused commands left %d signatures", len(ev.Signatures))
	}
}

// otherCert generates a second certificate set and returns its chain.
func (h *harness) otherCert() string {
	h.notationKeys("unrelated")
	return h.path("keys/unrelated.crt")
}

// TestKeyGenerateNotation checks the files key generate writes, and that
// it refuses to overwrite them.
func TestKeyGenerateNotation(t *testing.T) {
	h := newHarness(t, "")
	h.notationKeys("n")
	for f, mode := range map[string]os.FileMode{"n.key": 0o600, "n.crt": 0o644, "n-ca.crt": 0o644} {
		fi, err := os.Stat(h.path("keys/" + f))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s has mode %v, want %v", f, fi.Mode().Perm(), mode)
		}
	}
	h.expect(exitUsage, []string{"already exists"}, "key", "generate", "--type", "notation",
		"--output-key-prefix", h.path("keys/n"))
	h.must("key", "generate", "--type", "notation", "--csr", "--subject", notarySubject,
		"--output-key-prefix", h.path("keys/req"))
	csr, err := os.ReadFile(h.path("keys/req.csr"))
	if err != nil || !strings.Contains(string(csr), "CERTIFICATE REQUEST") {
		t.Fatalf("no CSR written: %v", err)
	}
	h.expect(exitUsage, []string{"--subject"}, "key", "generate", "--type", "notation",
		"--subject", "not a dn", "--output-key-prefix", h.path("keys/bad"))
	h.expect(exitUsage, []string{"--subject goes with --type notation"}, "key", "generate",
		"--subject", notarySubject, "--output-key-prefix", h.path("keys/c"))
}

// TestImportNotationCommand converts a notation trust policy and checks
// that the result loads and verifies a signature its trust store anchors.
func TestImportNotationCommand(t *testing.T) {
	h := newHarness(t, testreg.GGCR(t, true))
	img, _ := h.push("staging/app", "1.0.0")
	h.notationKeys("notary")
	h.notarySign("notary", img)
	store := h.path("truststore/x509/ca/release")
	if err := os.MkdirAll(store, 0o755); err != nil {
		t.Fatal(err)
	}
	ca, err := os.ReadFile(h.path("keys/notary-ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	h.write("truststore/x509/ca/release/ca.crt", string(ca))
	doc := map[string]any{
		"version": "1.0",
		"trustPolicies": []map[string]any{{
			"name":                  "staging",
			"registryScopes":        []string{h.ref("staging/app")},
			"signatureVerification": map[string]string{"level": "strict"},
			"trustStores":           []string{"ca:release"},
			"trustedIdentities":     []string{notaryIdentity},
		}},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	tp := h.write("trustpolicy.json", string(b))
	out := h.must("policy", "import-notation", "--trust-policy", tp, "--trust-store", h.path("truststore"))
	pol := h.write("imported.yaml", out)
	h.must("verify", "--policy", pol, img)

	h.expect(exitUsage, []string{"trustpolicy"}, "policy", "import-notation",
		"--trust-policy", h.path("missing/trustpolicy.json"), "--trust-store", h.path("truststore"))
}

// TestNotationTimestamp signs with a certificate that expires seconds
// later and a countersignature from a real timestamp authority on
// loopback: once the certificate has expired, a signer that trusts the
// TSA still accepts the signature at level strict, and one that does not
// refuses it.
func TestNotationTimestamp(t *testing.T) {
	tsa := testtsa.Start(t)
	h := newHarness(t, testreg.GGCR(t, true))
	tsaRoot := h.write("keys/tsa-root.pem", string(tsa.RootPEM))
	img, _ := h.push("staging/app", "1.0.0")
	h.notationKeys("short", "--validity", "3s")
	h.notarySign("short", img, "--timestamp-url", tsa.URL, "--timestamp-root", tsaRoot)
	time.Sleep(4 * time.Second)
	policyWith := func(tsaStore string) string {
		return h.write("policy.yaml", `version: v1
signers:
  notary:
    notation:
      trustStore: keys/short-ca.crt
      `+tsaStore+`
      identities: ["`+notaryIdentity+`"]
policies:
  - name: p
    scope: ["*/staging/**"]
    signatures: {anyOf: [notary]}
`)
	}
	h.must("verify", "--policy", policyWith("tsaTrustStore: keys/tsa-root.pem"), img)
	h.expect(exitPolicy, []string{"signatures.anyOf", "authenticTimestamp"},
		"verify", "--policy", policyWith(""), img)
}

// TestNotationPlugin signs through a real notation plugin executable,
// found in --plugin-dir, and verifies the result.
func TestNotationPlugin(t *testing.T) {
	pluginDir := testplugin.Build(t)
	h := newHarness(t, testreg.Distribution(t))
	img, _ := h.push("staging/app", "1.0.0")
	pki := testpki.New(t, testpki.Options{})
	files := pki.WriteFiles(h.dir)
	for _, env := range []string{vnotation.EnvelopeJWS, vnotation.EnvelopeCOSE} {
		h.must("sign", "--backend", "notation", "--envelope", env,
			"--plugin", testplugin.Name, "--plugin-dir", pluginDir, "--key-id", "release",
			"--plugin-config", "key="+files.Key, "--plugin-config", "cert="+files.Chain, img)
	}
	pol := h.notaryPolicy("../root.crt", "x509.subject: C=US, ST=WA, O=vouch test", "strict",
		`  - name: p
    scope: ["*/staging/**"]
    signatures: {anyOf: [notary]}
`)
	rep := decodeReport(t, h.must("verify", "--policy", pol, "-o", "json", img))
	var verified int
	for _, e := range rep.Images[0].Evidence {
		if e.Backend == "notation" && slices.Contains(e.VerifiedBy, "notary") {
			verified++
		}
	}
	if verified != 2 {
		t.Errorf("%d plugin signatures verified, want 2", verified)
	}
	h.expect(exitUsage, []string{"notation plugin", "missing"}, "sign", "--backend", "notation",
		"--plugin", "missing", "--plugin-dir", pluginDir, "--key-id", "k", img)
}
