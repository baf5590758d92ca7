package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	cbundle "github.com/sigstore/cosign/v2/pkg/cosign/bundle"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore/pkg/cryptoutils"

	"github.com/vouchsec/vouch/internal/cosigncli"
	"github.com/vouchsec/vouch/internal/testreg"
	"github.com/vouchsec/vouch/internal/teststack"
	"github.com/vouchsec/vouch/internal/testtsa"
	"github.com/vouchsec/vouch/pkg/bundle"
	vcosign "github.com/vouchsec/vouch/pkg/cosign"
	"github.com/vouchsec/vouch/pkg/policy"
	"github.com/vouchsec/vouch/pkg/registry"
)

const releaser = "release@acme.example"

// keylessFixture is a registry with the sample image, the loopback
// Sigstore deployment and its trusted root in the harness directory.
type keylessFixture struct {
	h     *harness
	s     *teststack.Stack
	img   string
	root  string
	flags []string
}

func newKeylessFixture(t *testing.T) *keylessFixture {
	t.Helper()
	s := teststack.Start(t)
	h := newHarness(t, testreg.GGCR(t, true))
	img, _ := h.push("staging/app", "1.0.0")
	if err := os.MkdirAll(h.path("sigstore"), 0o755); err != nil {
		t.Fatal(err)
	}
	root := s.WriteTrustedRoot(t, h.path("sigstore"))
	return &keylessFixture{h: h, s: s, img: img, root: root,
		flags: []string{"--keyless", "--fulcio-url", s.FulcioURL, "--rekor-url", s.RekorURL,
			"--timestamp-url", s.TSAURL, "--trusted-root", root}}
}

// args is cmd with the deployment's flags, extra and the image.
func (f *keylessFixture) args(cmd string, extra ...string) []string {
	a := append([]string{cmd}, f.flags...)
	return append(append(a, extra...), f.img)
}

// policy writes a policy whose signer "rel" is the keyless identity
// described by fields, requiring it on the image and on an SBOM.
func (f *keylessFixture) policy(name, fields string) string {
	return f.h.write(name, fmt.Sprintf(`version: v1
signers:
  rel:
    cosign:
      keyless:
        issuer: %s
        trustedRoot: %s
%s
policies:
  - name: app
    scope: ["%s/staging/**"]
    signatures: {anyOf: [rel]}
    attestations:
      - type: sbom
        signedBy: [rel]
`, f.s.IssuerURL(teststack.EmailIssuer), f.root, indent(fields, "        "), f.h.host))
}

func indent(s, by string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i, l := range lines {
		lines[i] = by + l
	}
	return strings.Join(lines, "\n")
}

// TestKeylessImageRoundTrip signs and attests keyless against the loopback
// Fulcio, Rekor and timestamp authority, in both storage formats, and
// verifies the result under a policy; the same policy with another subject
// or issuer refuses it.
func TestKeylessImageRoundTrip(t *testing.T) {
	for _, format := range []string{formatClassic, formatBundle} {
		t.Run(format, func(t *testing.T) {
			f := newKeylessFixture(t)
			f.h.env["SIGSTORE_ID_TOKEN"] = f.s.EmailToken(t, releaser)
			out := f.h.must(f.args("sign", "--signature-format", format)...)
			for _, want := range []string{"certificate for " + releaser, "Rekor log index", "RFC 3161"} {
				if !strings.Contains(out, want) {
					t.Errorf("sign output lacks %q:\n%s", want, out)
				}
			}
			f.h.must(f.args("attest", "--signature-format", format,
				"--sbom", testdataPath(t, "sbom/sample.spdx.json"))...)

			good := f.policy("good.yaml", "subject: "+releaser+"\nrequireTimestamp: true")
			out = f.h.expect(exitOK, []string{"PASS"}, "verify", "--policy", good, f.img)
			if !strings.Contains(out, releaser) {
				t.Errorf("report does not name the identity %s:\n%s", releaser, out)
			}

			other := f.policy("other.yaml", "subject: someone-else@acme.example")
			f.h.expect(exitPolicy, []string{"FAIL"}, "verify", "--policy", other, f.img)
		})
	}
}

// TestKeylessSignRefusals checks the CLI's refusals before anything is
// signed, and a token Fulcio refuses.
func TestKeylessSignRefusals(t *testing.T) {
	f := newKeylessFixture(t)
	h := f.h
	h.keys("release")
	h.expect(exitUsage, []string{"--key or --keyless"},
		f.args("sign", "--key", h.path("keys/release.key"))...)
	h.expect(exitUsage, []string{"no identity token"}, f.args("sign")...)
	h.expect(exitUsage, []string{"not a JWT"}, f.args("sign", "--identity-token", "token.jwt")...)
	h.expect(exitUsage, []string{"--no-tlog and --rekor-url"}, f.args("sign", "--no-tlog")...)
	h.expect(exitUsage, []string{"--signature-format"},
		f.args("sign", "--signature-format", "v3", "--identity-token", "a.b.c")...)
	h.expect(exitUsage, []string{"goes with --backend cosign"},
		"sign", "--backend", "notation", "--keyless", f.img)

	// A token signed by a key the issuer does not publish.
	bad := f.s.UntrustedToken(t, teststack.EmailIssuer, map[string]any{
		"sub": releaser, "email": releaser, "email_verified": true})
	h.expect(exitUsage, []string{"Fulcio", "refused to certify the identity token"},
		f.args("sign", "--identity-token", bad)...)
	// Tokens Fulcio would refuse: expired (caught before Fulcio is asked),
	// and for another audience.
	expired := f.s.Token(t, teststack.EmailIssuer, map[string]any{"sub": releaser, "email": releaser,
		"email_verified": true, "exp": time.Now().Add(-time.Hour).Unix(),
		"iat": time.Now().Add(-2 * time.Hour).Unix(), "nbf": time.Now().Add(-2 * time.Hour).Unix()})
	h.expect(exitUsage, []string{"expired at"}, f.args("sign", "--identity-token", expired)...)
	otherAud := f.s.Token(t, teststack.EmailIssuer, map[string]any{"sub": releaser, "email": releaser,
		"email_verified": true, "aud": "someone-else"})
	h.expect(exitUsage, []string{"refused to certify"}, f.args("sign", "--identity-token", otherAud)...)
	h.expect(exitUsage, []string{"--identity-token is empty"}, f.args("sign", "--identity-token", "")...)

	// Refusals that need no service come before any is asked: a keyless
	// signature with no log and no timestamp, a trusted root that could not
	// verify the result, a bundle file that could not be written.
	good := f.s.EmailToken(t, releaser)
	h.expect(exitUsage, []string{"--no-tlog leaves a keyless signature"}, "sign", "--keyless",
		"--identity-token", good, "--fulcio-url", f.s.FulcioURL, "--no-tlog", f.img)
	noCT := h.write("sigstore/no_ct.json", string(rootWithout(t, f.s, "ct")))
	h.expect(exitUsage, []string{"lists no CT log", "nothing was signed"},
		f.args("sign", "--identity-token", good, "--trusted-root", noCT)...)
	h.expect(exitUsage, []string{"cannot write into"}, "sign-blob", "--keyless", "--identity-token", good,
		"--fulcio-url", f.s.FulcioURL, "--rekor-url", f.s.RekorURL, h.write("f.txt", "x"),
		"--bundle", h.path("no/such/dir/f.sigstore.json"))

	// A trusted root that does not hold this Fulcio's CA is refused before
	// anything is signed.
	h.env["SIGSTORE_ID_TOKEN"] = f.s.EmailToken(t, releaser)
	// A root that trusts only a timestamp authority: not this Fulcio's CA,
	// nor its CT log or Rekor.
	other := writeTSATrustedRoot(t, h, testtsa.Start(t))
	args := f.args("sign", "--trusted-root", other)
	h.expect(exitUsage, []string{"lists no Fulcio certificate authority", "nothing was signed"}, args...)
	// A log whose entry time the certificate does not cover.
	h.expect(exitUsage, []string{"does not verify against the trusted root", "certificate"},
		"sign", "--keyless", "--fulcio-url", f.s.FulcioURL, "--rekor-url",
		f.s.SkewedRekorURL(t, 20*time.Minute), "--trusted-root", f.root, f.img)
	code, out := h.vouch("inspect", f.img)
	if code != exitOK || strings.Contains(out, releaser) {
		t.Errorf("a refused signature was stored (exit %d):\n%s", code, out)
	}
}

// TestKeylessCosignCLI checks keyless interop both ways with the cosign
// CLI built from go.mod, on the same loopback deployment and trusted root.
func TestKeylessCosignCLI(t *testing.T) {
	f := newKeylessFixture(t)
	h := f.h
	h.env["SIGSTORE_ID_TOKEN"] = f.s.EmailToken(t, releaser)
	h.must(f.args("sign")...)

	issuer := f.s.IssuerURL(teststack.EmailIssuer)
	verify := func(identity string) error {
		_, errOut, err := cosigncli.Run(t, nil, "verify", "--insecure-ignore-tlog=false", "--offline",
			"--trusted-root", f.root, "--certificate-identity", identity,
			"--certificate-oidc-issuer", issuer, f.img)
		if err != nil {
			return fmt.Errorf("%w: %s", err, errOut)
		}
		return nil
	}
	if err := verify(releaser); err != nil {
		t.Fatalf("cosign verify refused vouch's keyless signature: %v", err)
	}
	if err := verify("someone-else@acme.example"); err == nil {
		t.Fatal("cosign verify accepted vouch's signature for another identity")
	}

	// And vouch verifies the CLI's keyless signature of another image.
	img2, _ := h.push("staging/cli", "1.0.0")
	tok := f.s.EmailToken(t, "cli@acme.example")
	_, errOut, err := cosigncli.Run(t, nil, "sign", "--yes", "--tlog-upload=true",
		"--identity-token", tok, "--fulcio-url", f.s.FulcioURL, "--rekor-url", f.s.RekorURL,
		"--trusted-root", f.root, img2)
	if err != nil {
		t.Fatalf("cosign sign keyless: %v\n%s", err, errOut)
	}
	p := h.write("cli.yaml", fmt.Sprintf(`version: v1
signers:
  cli:
    cosign:
      keyless: {issuer: %s, subject: cli@acme.example, trustedRoot: %s}
policies:
  - name: cli
    scope: ["%s/staging/cli"]
    signatures: {anyOf: [cli]}
`, issuer, f.root, h.host))
	h.expect(exitOK, []string{"PASS"}, "verify", "--policy", p, img2)
}

// TestKeylessVerifyRefusals is the table of keyless signatures a policy
// must refuse, each for its own reason, through vouch verify.
func TestKeylessVerifyRefusals(t *testing.T) {
	f := newKeylessFixture(t)
	h, s := f.h, f.s
	gh := s.IssuerURL(teststack.GitHubIssuer)
	email := s.IssuerURL(teststack.EmailIssuer)
	evil := "https://github.com/acme/app-evil/.github/workflows/release.yml@refs/tags/v1.0.0"

	// sign signs repo's copy of the sample image keyless with token and
	// extra flags, and returns its digest reference.
	sign := func(repo, token string, extra ...string) string {
		t.Helper()
		img, _ := h.push(repo, "1.0.0")
		args := append([]string{"sign", "--keyless", "--identity-token", token,
			"--fulcio-url", s.FulcioURL, "--trusted-root", f.root}, extra...)
		if !slices.Contains(extra, "--no-tlog") {
			args = append(args, "--rekor-url", s.RekorURL)
		}
		h.must(append(args, img)...)
		return img
	}
	evilImg := sign("staging/evil", s.GitHubToken(t, teststack.GitHubClaims{
		Repository: "acme/app-evil", WorkflowRef: strings.TrimPrefix(evil, "https://github.com/")}))
	relImg := sign("staging/rel", s.EmailToken(t, releaser), "--timestamp-url", s.TSAURL)
	noTlog := sign("staging/notlog", s.EmailToken(t, releaser), "--no-tlog", "--timestamp-url", s.TSAURL)
	noStamp := sign("staging/nostamp", s.EmailToken(t, releaser))
	swapped := swapProof(t, h, relImg, sign("staging/other", s.EmailToken(t, releaser)), "rekor")
	stampDonor := sign("staging/stamped", s.EmailToken(t, releaser), "--timestamp-url", s.TSAURL)
	swappedStamp := swapProof(t, h, relImg, stampDonor, "timestamp")
	// Logged 20 minutes after (or before) the signing: the ten-minute
	// certificate had expired (or was not yet valid) at the proven time.
	// Signed without --trusted-root, which would refuse to make them.
	skewed := func(repo string, skew time.Duration) string {
		t.Helper()
		img, _ := h.push(repo, "1.0.0")
		h.must("sign", "--keyless", "--identity-token", s.EmailToken(t, releaser),
			"--fulcio-url", s.FulcioURL, "--rekor-url", s.SkewedRekorURL(t, skew), img)
		return img
	}
	expired := skewed("staging/expired", 20*time.Minute)
	early := skewed("staging/early", -20*time.Minute)

	// Roots naming another deployment's CA, CT log or timestamp authority.
	noSCT := h.write("sigstore/other_ct.json", string(s.ImpostorRoot(t, teststack.PartCTLog)))
	noCA := h.write("sigstore/other_ca.json", string(s.ImpostorRoot(t, teststack.PartFulcio)))
	noTSA := h.write("sigstore/other_tsa.json", string(s.ImpostorRoot(t, teststack.PartTSA)))

	for _, tt := range []struct {
		name, signer, img, reason string
	}{
		{"unanchored regexp prefix of another repository",
			"{issuer: " + gh + `, subjectRegexp: 'https://github\.com/acme/app'}`, evilImg, "identity"},
		{"regexp for the repository's workflows",
			"{issuer: " + gh + `, subjectRegexp: 'https://github\.com/acme/app/.*'}`, evilImg, "identity"},
		{"wrong issuer", "{issuer: " + gh + ", subject: " + releaser + "}", relImg, "identity"},
		{"no log entry", "{issuer: " + email + ", subject: " + releaser + "}", noTlog, "tlog"},
		{"no timestamp", "{issuer: " + email + ", subject: " + releaser + ", requireTimestamp: true}",
			noStamp, "timestamp"},
		{"log entry for another signature", "{issuer: " + email + ", subject: " + releaser + "}",
			swapped, "tlog"},
		{"untrusted CA", "{issuer: " + email + ", subject: " + releaser + "}", relImg, "certificate"},
		{"no SCT from a trusted CT log", "{issuer: " + email + ", subject: " + releaser + "}",
			relImg, "sct"},
		{"certificate expired at the log's proven time",
			"{issuer: " + email + ", subject: " + releaser + "}", expired, "certificate-chain"},
		{"certificate not yet valid at the log's proven time",
			"{issuer: " + email + ", subject: " + releaser + "}", early, "certificate-chain"},
		{"timestamp for another signature, though none is required",
			"{issuer: " + email + ", subject: " + releaser + "}", swappedStamp, "timestamp"},
		{"timestamp from an untrusted authority", "{issuer: " + email + ", subject: " + releaser +
			", requireTimestamp: true}", relImg, "timestamp"},
		// The controls: the same signatures pass where the policy allows
		// them, so the refusals above are for their stated reasons.
		{"control: the other repository's own regexp",
			"{issuer: " + gh + `, subjectRegexp: 'https://github\.com/acme/app-evil/.*'}`, evilImg, ""},
		{"control: the right identity", "{issuer: " + email + ", subject: " + releaser +
			", requireTimestamp: true}", relImg, ""},
		{"control: a timestamp in place of the log", "{issuer: " + email + ", subject: " + releaser +
			", requireTlog: false, requireTimestamp: true}", noTlog, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			trusted := f.root
			switch tt.name {
			case "untrusted CA":
				trusted = noCA
			case "no SCT from a trusted CT log":
				trusted = noSCT
			case "timestamp from an untrusted authority":
				trusted = noTSA
			}
			p := h.write("refuse.yaml", fmt.Sprintf(`version: v1
signers:
  s: {cosign: {keyless: %s}}
policies:
  - name: p
    scope: ["%s/staging/**"]
    signatures: {anyOf: [s]}
`, strings.Replace(tt.signer, "{", "{trustedRoot: "+trusted+", ", 1), h.host))
			if tt.reason == "" {
				h.expect(exitOK, []string{`"status": "pass"`}, "verify", "-o", "json", "--policy", p, tt.img)
				return
			}
			out := h.expect(exitPolicy, []string{`"status": "fail"`}, "verify", "-o", "json", "--policy", p, tt.img)
			if !strings.Contains(strings.ToLower(out), tt.reason) {
				t.Errorf("refusal does not name %q:\n%s", tt.reason, out)
			}
		})
	}
}

// swapProof writes, to a new repository holding target's image, a
// signature that is target's own but carries donor's Rekor bundle
// (proof "rekor") or RFC 3161 timestamp ("timestamp"), and target's other
// proofs: a valid proof, for another signature. It returns the new
// reference.
func swapProof(t *testing.T, h *harness, target, donor, proof string) string {
	t.Helper()
	ctx := t.Context()
	sigOf := func(ref string) oci.Signature {
		t.Helper()
		d, err := name.NewDigest(ref)
		if err != nil {
			t.Fatal(err)
		}
		ev, err := vcosign.Fetch(ctx, d, nil)
		if err != nil || len(ev.Signatures) != 1 {
			t.Fatalf("fetching the signature of %s: %v (%d)", ref, err, len(ev.Signatures))
		}
		return ev.Signatures[0]
	}
	own, theirs := sigOf(target), sigOf(donor)
	payload, err := own.Payload()
	if err != nil {
		t.Fatal(err)
	}
	b64, err := own.Base64Signature()
	if err != nil {
		t.Fatal(err)
	}
	cert, err := own.Cert()
	if err != nil {
		t.Fatal(err)
	}
	from := func(s oci.Signature) (*cbundle.RekorBundle, *cbundle.RFC3161Timestamp) {
		t.Helper()
		rb, err := s.Bundle()
		if err != nil {
			t.Fatal(err)
		}
		ts, err := s.RFC3161Timestamp()
		if err != nil {
			t.Fatal(err)
		}
		return rb, ts
	}
	rb, ts := from(own)
	switch theirRB, theirTS := from(theirs); proof {
	case "rekor":
		rb = theirRB
	case "timestamp":
		ts = theirTS
	}
	if (proof == "rekor" && rb == nil) || (proof == "timestamp" && ts == nil) {
		t.Fatalf("donor %s has no %s proof", donor, proof)
	}
	certPEM, err := cryptoutils.MarshalCertificateToPEM(cert)
	if err != nil {
		t.Fatal(err)
	}
	opts := []static.Option{static.WithCertChain(certPEM, nil)}
	if rb != nil {
		opts = append(opts, static.WithBundle(rb))
	}
	if ts != nil {
		opts = append(opts, static.WithRFC3161Timestamp(ts))
	}
	hybrid, err := static.NewSignature(payload, b64, opts...)
	if err != nil {
		t.Fatal(err)
	}
	img, _ := h.push("staging/swapped-"+proof, "1.0.0")
	d, err := name.NewDigest(img)
	if err != nil {
		t.Fatal(err)
	}
	if err := vcosign.AppendSignature(ctx, d, hybrid, nil); err != nil {
		t.Fatal(err)
	}
	return img
}

// rootWithout is the stack's trusted root with its CT logs ("ct"), its
// Fulcio CA ("ca"), its timestamp authority ("tsa") or its Rekor log
// ("rekor") left out.
func rootWithout(t *testing.T, s *teststack.Stack, part string) []byte {
	t.Helper()
	tr := s.TrustedRoot()
	cas, ct, tsas, rekor := tr.FulcioCertificateAuthorities(), tr.CTLogs(),
		tr.TimestampingAuthorities(), tr.RekorLogs()
	switch part {
	case "rekor":
		rekor = nil
	case "ct":
		ct = nil
	case "ca":
		cas = nil
	case "tsa":
		tsas = nil
	}
	trimmed, err := root.NewTrustedRoot(root.TrustedRootMediaType01, cas, ct, tsas, rekor)
	if err != nil {
		t.Fatal(err)
	}
	data, err := trimmed.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestKeylessBlobRoundTrip signs a file keyless, and with a key into
// Rekor, and verifies both bundles with vouch and the cosign CLI; vouch
// verifies the CLI's keyless bundle.
func TestKeylessBlobRoundTrip(t *testing.T) {
	f := newKeylessFixture(t)
	h, s := f.h, f.s
	issuer := s.IssuerURL(teststack.EmailIssuer)
	file := h.write("app.tar.gz", "release tarball\n")
	bundle := h.path("app.sigstore.json")
	h.env["SIGSTORE_ID_TOKEN"] = s.EmailToken(t, releaser)
	h.expect(exitOK, []string{"certificate for " + releaser, "Rekor log index"},
		"sign-blob", "--keyless", "--fulcio-url", s.FulcioURL, "--rekor-url", s.RekorURL,
		"--timestamp-url", s.TSAURL, "--trusted-root", f.root, file, "--bundle", bundle)

	verify := func(code int, b, identity string) {
		t.Helper()
		h.expect(code, nil, "verify-blob", file, "--bundle", b, "--trusted-root", f.root,
			"--certificate-identity", identity, "--certificate-oidc-issuer", issuer)
	}
	verify(exitOK, bundle, releaser)
	verify(exitPolicy, bundle, "someone-else@acme.example")
	h.write("tampered.tar.gz", "release tarball, changed\n")
	h.expect(exitPolicy, nil, "verify-blob", h.path("tampered.tar.gz"), "--bundle", bundle,
		"--trusted-root", f.root, "--certificate-identity", releaser, "--certificate-oidc-issuer", issuer)

	cosign := func(args ...string) error {
		t.Helper()
		_, errOut, err := cosigncli.Run(t, nil, args...)
		if err != nil {
			return fmt.Errorf("cosign %s: %w\n%s", strings.Join(args, " "), err, errOut)
		}
		return nil
	}
	if err := cosign("verify-blob", "--insecure-ignore-tlog=false", "--offline", "--new-bundle-format",
		"--bundle", bundle, "--trusted-root", f.root, "--certificate-identity", releaser,
		"--certificate-oidc-issuer", issuer, file); err != nil {
		t.Fatalf("cosign refused vouch's keyless bundle: %v", err)
	}

	// A key signature logged in Rekor: the bundle carries the entry, and
	// verifying with the stack's root checks its inclusion.
	h.keys("release")
	keyBundle := h.path("key.sigstore.json")
	h.expect(exitOK, []string{"Rekor log index"}, "sign-blob", "--key", h.path("keys/release.key"),
		"--rekor-url", s.RekorURL, file, "--bundle", keyBundle)
	h.expect(exitOK, []string{"Verified OK"}, "verify-blob", file, "--bundle", keyBundle,
		"--trusted-root", f.root, "--key", h.path("keys/release.pub"))

	// The CLI's keyless bundle, verified by vouch.
	cliBundle := h.path("cli.sigstore.json")
	if err := cosign("sign-blob", "--yes", "--tlog-upload=true", "--new-bundle-format",
		"--identity-token", s.EmailToken(t, "cli@acme.example"), "--fulcio-url", s.FulcioURL,
		"--rekor-url", s.RekorURL, "--trusted-root", f.root, "--bundle", cliBundle, file); err != nil {
		t.Fatalf("cosign sign-blob keyless: %v", err)
	}
	verify(exitOK, cliBundle, "cli@acme.example")
	verify(exitPolicy, cliBundle, releaser)
}

// TestBundleOfflineKeyless exports an image with keyless evidence in both
// storage formats, and verifies the bundle with every dial failing and in
// a network namespace with no interface: the certificates, Rekor entries,
// timestamps and the trusted root all travel in the bundle.
func TestBundleOfflineKeyless(t *testing.T) {
	f := newKeylessFixture(t)
	h := f.h
	h.env["SIGSTORE_ID_TOKEN"] = f.s.EmailToken(t, releaser)
	for _, format := range []string{formatClassic, formatBundle} {
		h.must(f.args("sign", "--signature-format", format)...)
		h.must(f.args("attest", "--signature-format", format,
			"--sbom", testdataPath(t, "sbom/sample.spdx.json"))...)
	}
	pol := f.policy("keyless.yaml", "subject: "+releaser+"\nrequireTimestamp: true")
	file := h.path("keyless.tar")
	h.must("bundle", "export", f.img, "-o", file, "--policy", pol)

	restore := noDial(t)
	res, err := offlineVerify(t, file, "")
	mustPass(t, res, err, 4)
	t.Run("netns", func(t *testing.T) { offlineInNetnsWant(t, file, 4) })
	restore()
}

// TestKeylessPublicRoot checks a keyless signer that names no trusted
// root: it trusts the public Sigstore instance, whose root comes from TUF.
// Here TUF cannot be reached, so verify refuses with exit 3 and offline
// verification says why; and a bundle exported with the root at hand
// (the stack's standing in for the public one) carries it, so the
// bundled policy verifies offline.
func TestKeylessPublicRoot(t *testing.T) {
	f := newKeylessFixture(t)
	h := f.h
	unreachableTUF(t)
	h.env["SIGSTORE_ID_TOKEN"] = f.s.EmailToken(t, releaser)
	h.must(f.args("sign")...)
	pol := h.write("public.yaml", fmt.Sprintf(`version: v1
signers:
  rel:
    cosign:
      keyless: {issuer: %s, subject: %s}
policies:
  - name: app
    scope: ["%s/staging/**"]
    signatures: {anyOf: [rel]}
`, f.s.IssuerURL(teststack.EmailIssuer), releaser, h.host))
	h.expect(exitRegistry, []string{"public Sigstore trusted root through TUF"}, "verify", "--policy", pol, f.img)
	h.expect(exitOK, []string{"trusted root: the public Sigstore instance's, from TUF"},
		"policy", "explain", "--policy", pol, f.img)
	blob := h.write("blob.txt", "a file\n")
	h.expect(exitRegistry, []string{"public Sigstore trusted root through TUF"}, "verify-blob", blob,
		"--bundle", h.write("b.json", "{}"), "--certificate-identity", releaser,
		"--certificate-oidc-issuer", f.s.IssuerURL(teststack.EmailIssuer))

	p, err := policy.Load(pol)
	if err != nil {
		t.Fatal(err)
	}
	if !p.NeedsPublicRoot() {
		t.Fatal("a keyless signer without trustedRoot does not ask for the public root")
	}
	p.UsePublicRoot(f.s.TrustedRoot())
	d, err := name.NewDigest(f.img)
	if err != nil {
		t.Fatal(err)
	}
	file := h.path("public.tar")
	res, err := bundle.Export(t.Context(), registry.New(), d, bundle.ExportOptions{
		Output: file, Reference: f.img, Policy: p})
	if err != nil {
		t.Fatal(err)
	}
	if res.Report == nil || !res.Report.Passed {
		t.Fatalf("the online verification at export failed")
	}
	restore := noDial(t)
	defer restore()
	got, err := offlineVerify(t, file, "")
	mustPass(t, got, err, 1)
	// The policy as given, offline, has no root to use.
	h.expect(exitPolicy, []string{"names no trustedRoot"}, "verify", "--offline", "--bundle", file,
		"--policy", pol)
}

// TestKeySignatureProofs signs with a key into Rekor and with a timestamp,
// in cosign's classic storage: a key signer with a trusted root checks
// both, one without ignores them, and the cosign CLI accepts the
// signature with the log checked.
func TestKeySignatureProofs(t *testing.T) {
	f := newKeylessFixture(t)
	h, s := f.h, f.s
	h.keys("release")
	proofs := []string{"--key", h.path("keys/release.key"), "--rekor-url", s.RekorURL,
		"--timestamp-url", s.TSAURL}
	h.expect(exitOK, []string{"Rekor log index", "RFC 3161"}, append(append([]string{"sign"}, proofs...), f.img)...)
	h.must(append(append([]string{"attest"}, proofs...), "--sbom",
		testdataPath(t, "sbom/sample.spdx.json"), f.img)...)

	noRekor := h.write("sigstore/no_rekor.json", string(rootWithout(t, s, "rekor")))
	noTSA := h.write("sigstore/no_tsa.json", string(rootWithout(t, s, "tsa")))
	pol := func(trusted string) string {
		line := ""
		if trusted != "" {
			line = ", trustedRoot: " + trusted
		}
		return h.write("key.yaml", fmt.Sprintf(`version: v1
signers:
  release: {cosign: {key: keys/release.pub%s}}
policies:
  - name: app
    scope: ["%s/staging/**"]
    signatures: {anyOf: [release]}
    attestations:
      - type: sbom
        signedBy: [release]
`, line, h.host))
	}
	h.expect(exitOK, []string{"PASS"}, "verify", "--policy", pol(f.root), f.img)
	h.expect(exitOK, []string{"PASS"}, "verify", "--policy", pol(""), f.img)
	h.expect(exitPolicy, []string{"tlog check"}, "verify", "--policy", pol(noRekor), f.img)
	h.expect(exitPolicy, []string{"timestamp check"}, "verify", "--policy", pol(noTSA), f.img)

	_, errOut, err := cosigncli.Run(t, nil, "verify", "--insecure-ignore-tlog=false", "--offline",
		"--trusted-root", f.root, "--key", h.path("keys/release.pub"), f.img)
	if err != nil {
		t.Fatalf("cosign verify refused vouch's logged key signature: %v\n%s", err, errOut)
	}
}

// unreachableTUF leaves the test with no TUF cache (a fresh HOME) and
// every proxy variable pointing at a closed loopback port, so that a
// fetch of the public Sigstore root fails at once, and nothing leaves
// the machine. Loopback is never proxied.
func unreachableTUF(t *testing.T) {
	t.Helper()
	t.Setenv("HOME", t.TempDir())
	for _, v := range []string{"HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"} {
		t.Setenv(v, "http://127.0.0.1:9")
	}
	t.Setenv("NO_PROXY", "")
	t.Setenv("no_proxy", "")
}
