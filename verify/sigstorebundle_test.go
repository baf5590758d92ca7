package verify_test

import (
	"bytes"
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/static"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/vouchsec/vouch/attest"
	"github.com/vouchsec/vouch/internal/testreg"
	"github.com/vouchsec/vouch/internal/testtsa"
	vcosign "github.com/vouchsec/vouch/pkg/cosign"
	"github.com/vouchsec/vouch/pkg/policy"
	"github.com/vouchsec/vouch/pkg/sigstore"
	"github.com/vouchsec/vouch/verify"
)

// bundleFixture is an image in a loopback registry, two cosign key pairs
// (release and other), a timestamp authority and a policy whose key
// signers trust it: release and other with the TSA's trusted root, bare
// (the release key) with none.
type bundleFixture struct {
	t      *testing.T
	d      name.Digest
	h      v1.Hash
	tsa    *testtsa.TSA
	keys   map[string]signature.SignerVerifier
	policy *policy.Policy
	tamper *tamperer
}

const bundlePolicy = `version: v1
signers:
  release: {cosign: {key: release.pub, trustedRoot: trusted_root.json}}
  other: {cosign: {key: other.pub, trustedRoot: trusted_root.json}}
  bare: {cosign: {key: release.pub}}
policies:
- name: all
  scope: ['**']
  signatures: {anyOf: [release]}
  attestations: [{type: spdx, signedBy: [release]}]
`

func newBundleFixture(t *testing.T) *bundleFixture {
	t.Helper()
	f := &bundleFixture{t: t, tsa: testtsa.Start(t), keys: map[string]signature.SignerVerifier{},
		tamper: &tamperer{next: registry.New(registry.Logger(log.New(io.Discard, "", 0)),
			registry.WithReferrersSupport(true))}}
	srv := httptest.NewServer(f.tamper)
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	f.h = testreg.PushSample(t, host, "acme/app", "1.0.0")
	f.d = mustDigest(host + "/acme/app@" + f.h.String())
	dir := t.TempDir()
	for _, n := range []string{"release", "other"} {
		keyPath, _, err := vcosign.WriteKeyPair(filepath.Join(dir, n), []byte("pw"))
		if err != nil {
			t.Fatal(err)
		}
		priv, err := os.ReadFile(keyPath)
		if err != nil {
			t.Fatal(err)
		}
		if f.keys[n], err = vcosign.LoadPrivateKey(priv, []byte("pw")); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(dir, "trusted_root.json"), f.tsa.TrustedRootJSON(t))
	writeFile(t, filepath.Join(dir, "policy.yaml"), []byte(bundlePolicy))
	p, err := policy.Load(filepath.Join(dir, "policy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	f.policy = p
	return f
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func bundleContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// sign signs statement with key n, timestamped unless untimed.
func (f *bundleFixture) sign(n string, content sign.Content, untimed bool) *bundle.Bundle {
	f.t.Helper()
	opts := sigstore.SignOptions{Signer: f.keys[n], TimestampURL: f.tsa.URL}
	if untimed {
		opts.TimestampURL = ""
	}
	b, err := sigstore.Sign(bundleContext(f.t), content, opts)
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

// signature is cosign's image signature statement for d, signed with n.
func (f *bundleFixture) signature(n string, d name.Digest, untimed bool) *bundle.Bundle {
	f.t.Helper()
	st, err := vcosign.SignStatement(d)
	if err != nil {
		f.t.Fatal(err)
	}
	return f.sign(n, &sign.DSSEData{Data: st, PayloadType: sigstore.InTotoPayloadType}, untimed)
}

// sbom is an SPDX attestation about the image, signed with n.
func (f *bundleFixture) sbom(n string) *bundle.Bundle {
	f.t.Helper()
	pred, err := os.ReadFile("../testdata/sbom/sample.spdx.json")
	if err != nil {
		f.t.Fatal(err)
	}
	st, err := attest.Statement(f.d.Context().Name(), f.h, policy.PredicateSPDX, pred)
	if err != nil {
		f.t.Fatal(err)
	}
	return f.sign(n, &sign.DSSEData{Data: st, PayloadType: sigstore.InTotoPayloadType}, false)
}

func (f *bundleFixture) write(b *bundle.Bundle, predicateType string) {
	f.t.Helper()
	if err := vcosign.WriteBundle(bundleContext(f.t), f.d, b, predicateType, nil); err != nil {
		f.t.Fatal(err)
	}
}

func (f *bundleFixture) verify() *verify.ImageResult {
	f.t.Helper()
	return verify.Digest(bundleContext(f.t), f.d, verify.Options{Policy: f.policy,
		Backends: []verify.Backend{verify.NewSigstoreBundleBackend(nil)}})
}

// evidence discovers the image's bundles, which must be n.
func (f *bundleFixture) evidence(n int) []verify.Evidence {
	f.t.Helper()
	evs, err := verify.NewSigstoreBundleBackend(nil).Discover(bundleContext(f.t), f.d)
	if err != nil {
		f.t.Fatal(err)
	}
	if len(evs) != n {
		f.t.Fatalf("discovered %d bundles, want %d", len(evs), n)
	}
	return evs
}

// failure verifies e with signer n and returns the error, which must not
// be nil.
func (f *bundleFixture) failure(e verify.Evidence, n string) string {
	f.t.Helper()
	v, err := e.Verify(bundleContext(f.t), f.h, f.policy.Signers[n])
	f.t.Logf("%s with %s: %v", e.Source(), n, err)
	if err == nil {
		f.t.Fatalf("%s verified with signer %s: %+v", e.Source(), n, v)
	}
	return err.Error()
}

func TestSigstoreBundleKeyRoundTrip(t *testing.T) {
	f := newBundleFixture(t)
	f.write(f.signature("release", f.d, false), vcosign.SignPredicateType)
	f.write(f.sbom("release"), policy.PredicateSPDX)

	res := f.verify()
	if !res.Passed() {
		t.Fatalf("verify: %s %s\n%+v", res.Status, res.Error, res.Policies)
	}
	kinds := map[verify.Kind]verify.EvidenceResult{}
	for _, e := range res.Evidence {
		kinds[e.Kind] = e
		if e.Backend != "sigstore-bundle" ||
			!strings.HasPrefix(e.Source, f.d.String()+" referrer sha256:") {
			t.Errorf("evidence backend %q source %q", e.Backend, e.Source)
		}
		if got := strings.Join(e.VerifiedBy, ","); got != "release" {
			t.Errorf("%s verified by %q, want release", e.Kind, got)
		}
	}
	if len(res.Evidence) != 2 || kinds[verify.KindAttestation].PredicateType != policy.PredicateSPDX {
		t.Fatalf("evidence %+v, want a signature and an SPDX attestation", res.Evidence)
	}

	for _, e := range f.evidence(2) {
		if msg := f.failure(e, "other"); !strings.Contains(msg, "check failed") {
			t.Errorf("wrong key: %q does not name the failed check", msg)
		}
		const noRoot = "timestamp check failed: " +
			"the bundle has an RFC 3161 timestamp and the signer has no trustedRoot"
		if msg := f.failure(e, "bare"); !strings.Contains(msg, noRoot) {
			t.Errorf("signer without trustedRoot: %q", msg)
		}
	}
}

func TestSigstoreBundleKeyUntimed(t *testing.T) {
	f := newBundleFixture(t)
	f.write(f.signature("release", f.d, true), vcosign.SignPredicateType)
	e := f.evidence(1)[0]
	for _, n := range []string{"release", "bare"} {
		if msg := f.failure(e, n); !strings.Contains(msg,
			"neither a transparency log entry nor a signed timestamp") {
			t.Errorf("signer %s, untimed bundle: %q", n, msg)
		}
	}
}

func TestSigstoreBundleOtherDigest(t *testing.T) {
	f := newBundleFixture(t)
	other := f.d.Context().Digest("sha256:" + strings.Repeat("cd", 32))
	f.write(f.signature("release", other, false), vcosign.SignPredicateType)
	if res := f.verify(); res.Passed() {
		t.Fatal("a signature over another digest passed")
	}
	if msg := f.failure(f.evidence(1)[0], "release"); !strings.Contains(msg, "check failed") {
		t.Errorf("other digest: %q", msg)
	}
}

func TestSigstoreBundleTampered(t *testing.T) {
	t.Run("flipped layer byte", func(t *testing.T) {
		f := newBundleFixture(t)
		f.write(f.signature("release", f.d, false), vcosign.SignPredicateType)
		f.tamper.flipBlobs()
		msg := f.failure(f.evidence(1)[0], "release")
		if !strings.Contains(msg, "checksum") && !strings.Contains(msg, "does not match its digest") {
			t.Errorf("flipped byte: %q does not report a digest mismatch", msg)
		}
	})
	t.Run("flipped signature byte", func(t *testing.T) {
		f := newBundleFixture(t)
		b := f.signature("release", f.d, false)
		b.GetDsseEnvelope().Signatures[0].Sig[8] ^= 1
		f.write(b, vcosign.SignPredicateType)
		msg := f.failure(f.evidence(1)[0], "release")
		if !strings.Contains(msg, "check failed") {
			t.Errorf("flipped signature: %q", msg)
		}
	})
}

func TestSigstoreBundleRefusals(t *testing.T) {
	f := newBundleFixture(t)
	big := static.NewLayer(bytes.Repeat([]byte(" "), vcosign.MaxBundleSize+1), vcosign.BundleMediaType)
	if err := ociremote.WriteReferrer(f.d, vcosign.BundleMediaType, []v1.Layer{big}, nil); err != nil {
		t.Fatal(err)
	}
	bigDigest, err := big.Digest()
	if err != nil {
		t.Fatal(err)
	}
	f.write(f.sign("release", &sign.PlainData{Data: []byte("a file")}, false), "")
	for _, e := range f.evidence(2) {
		msg := f.failure(e, "release")
		if !strings.Contains(msg, bigDigest.String()+" is") &&
			!strings.Contains(msg, "message-signature") {
			t.Errorf("%s: %q, want the oversized layer named or a message signature refused",
				e.Source(), msg)
		}
	}
	if res := f.verify(); res.Passed() {
		t.Fatal("refused bundles passed")
	}
}

// tamperer serves a registry and, once told, flips a byte of every blob
// it serves that is not a config.
type tamperer struct {
	next http.Handler
	mu   sync.Mutex
	flip bool
}

func (tp *tamperer) flipBlobs() {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	tp.flip = true
}

func (tp *tamperer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tp.mu.Lock()
	flip := tp.flip
	tp.mu.Unlock()
	if !flip || r.Method != http.MethodGet || !strings.Contains(r.URL.Path, "/blobs/") {
		tp.next.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	tp.next.ServeHTTP(rec, r)
	body := rec.Body.Bytes()
	if len(body) > 10 {
		body[len(body)/2] ^= 1
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(body) // The client sees a short body if this fails.
}
