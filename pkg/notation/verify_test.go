package notation_test

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	nregistry "github.com/notaryproject/notation-go/registry"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/vouchsec/vouch/internal/testreg"
	"github.com/vouchsec/vouch/pkg/notation"
	"github.com/vouchsec/vouch/pkg/notation/devcert"
	"github.com/vouchsec/vouch/pkg/policy"
)

// signed is an image on a registry with the referrers API, signed once with
// a development chain.
type signed struct {
	host  string
	d     name.Digest
	certs *devcert.Set
	sig   *notation.Signature
}

func signSample(t *testing.T, env string) *signed {
	t.Helper()
	host := testreg.GGCR(t, true)
	s := &signed{host: host, d: sample(t, host), certs: devCerts(t)}
	opts := notation.SignOptions{Envelope: env}
	if _, err := notation.Sign(t.Context(), s.d, signerOf(t, s.certs), opts); err != nil {
		t.Fatal(err)
	}
	s.sig = onlySignature(t, s.d)
	return s
}

func TestVerifyTrust(t *testing.T) {
	s := signSample(t, notation.EnvelopeJWS)
	other := devCerts(t)
	tests := []struct {
		name   string
		signer *policy.NotationSigner
		check  string // empty: passes
		logged string // a check the level only logs
	}{
		{name: "trusted", signer: trusting(s.certs.Root)},
		{name: "two roots", signer: trusting(other.Root, s.certs.Root)},
		{name: "any identity", signer: &policy.NotationSigner{
			TrustStore: []*x509.Certificate{s.certs.Root}, Identities: []string{"*"}}},
		{name: "wrong trust store", signer: trusting(other.Root), check: notation.CheckAuthenticity},
		{name: "identity mismatch", signer: &policy.NotationSigner{
			TrustStore: []*x509.Certificate{s.certs.Root},
			Identities: []string{"x509.subject: C=US, ST=WA, O=Other"},
		}, check: notation.CheckAuthenticity},
		{name: "audit logs authenticity", signer: &policy.NotationSigner{
			TrustStore: []*x509.Certificate{other.Root}, Identities: []string{identity},
			Level: policy.LevelAudit,
		}, logged: notation.CheckAuthenticity},
		{name: "permissive enforces authenticity", signer: &policy.NotationSigner{
			TrustStore: []*x509.Certificate{other.Root}, Identities: []string{identity},
			Level: policy.LevelPermissive,
		}, check: notation.CheckAuthenticity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := verifier(t, tt.signer, s.d).Verify(t.Context(), s.sig)
			if tt.check != "" {
				wantCheck(t, err, tt.check)
				return
			}
			if err != nil {
				t.Fatalf("verifying: %v", err)
			}
			if got := loggedChecks(res); got != tt.logged {
				t.Errorf("logged checks = %q, want %q", got, tt.logged)
			}
		})
	}
}

func TestVerifySkipLevel(t *testing.T) {
	s := signSample(t, notation.EnvelopeJWS)
	v := verifier(t, &policy.NotationSigner{Level: policy.LevelSkip}, s.d)
	res, err := v.Verify(t.Context(), s.sig)
	if err != nil || !res.Skipped {
		t.Fatalf("skip level: res=%+v err=%v, want skipped", res, err)
	}
}

func loggedChecks(r *notation.Result) string {
	var out []string
	for _, c := range r.Logged {
		out = append(out, c.Check)
	}
	return strings.Join(out, ",")
}

func TestVerifyTamperedEnvelope(t *testing.T) {
	for _, env := range []string{notation.EnvelopeJWS, notation.EnvelopeCOSE} {
		t.Run(env, func(t *testing.T) {
			s := signSample(t, env)
			bad := tamper(t, env, s.sig.Envelope)
			pushSignature(t, s.d, s.sig.MediaType, bad, s.sig.Subject.Digest.String())
			ev := discover(t, s.d)
			if len(ev.Signatures) != 2 {
				t.Fatalf("found %d signatures, want the good and the tampered one", len(ev.Signatures))
			}
			v := verifier(t, trusting(s.certs.Root), s.d)
			var passed, failed int
			for _, sig := range ev.Signatures {
				_, err := v.Verify(t.Context(), sig)
				if err == nil {
					passed++
					continue
				}
				failed++
				wantCheck(t, err, notation.CheckIntegrity)
			}
			if passed != 1 || failed != 1 {
				t.Errorf("passed %d, failed %d; want 1 and 1", passed, failed)
			}
		})
	}
}

// tamper changes the signed content of an envelope, keeping it well formed.
func tamper(t *testing.T, env string, envelope []byte) []byte {
	t.Helper()
	if env == notation.EnvelopeCOSE {
		// The signature is the last field of the COSE_Sign1 structure.
		out := append([]byte(nil), envelope...)
		out[len(out)-1] ^= 0x01
		return out
	}
	var jws map[string]any
	if err := json.Unmarshal(envelope, &jws); err != nil {
		t.Fatal(err)
	}
	payload, err := base64.RawURLEncoding.DecodeString(jws["payload"].(string))
	if err != nil {
		t.Fatal(err)
	}
	payload = []byte(strings.Replace(string(payload), "sha256:", "sha256:0", 1))
	jws["payload"] = base64.RawURLEncoding.EncodeToString(payload)
	out, err := json.Marshal(jws)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// pushSignature attaches an envelope to the manifest subject of d's
// repository the way notation-go stores signatures.
func pushSignature(t *testing.T, d name.Digest, mediaType string, envelope []byte, subject string) {
	t.Helper()
	r, err := remote.NewRepository(d.Context().Name())
	if err != nil {
		t.Fatal(err)
	}
	r.PlainHTTP = true
	desc, err := r.Resolve(t.Context(), subject)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = nregistry.NewRepository(r).PushSignature(t.Context(), mediaType, envelope, desc, nil)
	if err != nil {
		t.Fatal(err)
	}
}

func TestVerifyOtherDigest(t *testing.T) {
	s := signSample(t, notation.EnvelopeJWS)
	im, err := testreg.SampleIndex(t).IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	child, err := name.NewDigest(s.d.Context().Name() + "@" + im.Manifests[0].Digest.String())
	if err != nil {
		t.Fatal(err)
	}
	if got := discover(t, child); len(got.Signatures) != 0 {
		t.Fatalf("a signature of %s was found on %s", s.d.DigestStr(), child.DigestStr())
	}
	// Move the index's signature onto the child manifest.
	pushSignature(t, child, s.sig.MediaType, s.sig.Envelope, child.DigestStr())
	moved := onlySignature(t, child)
	_, err = verifier(t, trusting(s.certs.Root), child).Verify(t.Context(), moved)
	wantCheck(t, err, notation.CheckTargetArtifact)
}

func TestVerifyExpired(t *testing.T) {
	host := testreg.GGCR(t, true)
	d := sample(t, host)
	// A leaf that expires in three seconds, and a signature that does.
	short, err := devcert.New(devcert.Options{
		Subject: leafSubject, NotBefore: time.Now().Add(-time.Hour),
		Validity: time.Hour + 3*time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	long := devCerts(t)
	ctx := t.Context()
	if _, err := notation.Sign(ctx, d, signerOf(t, short), notation.SignOptions{}); err != nil {
		t.Fatal(err)
	}
	sigExpiry := notation.SignOptions{Envelope: notation.EnvelopeCOSE, Expiry: 2 * time.Second}
	if _, err := notation.Sign(ctx, d, signerOf(t, long), sigExpiry); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(short.Leaf.NotAfter.Add(1500 * time.Millisecond)))

	ev := discover(t, d)
	if len(ev.Signatures) != 2 {
		t.Fatalf("found %d signatures, want 2", len(ev.Signatures))
	}
	for _, sig := range ev.Signatures {
		cert, check := short.Root, notation.CheckAuthenticTimestamp
		if sig.MediaType != jwsMediaType(t) {
			cert, check = long.Root, notation.CheckExpiry
		}
		for _, level := range []string{policy.LevelStrict, policy.LevelPermissive} {
			ps := trusting(cert)
			ps.Level = level
			res, err := verifier(t, ps, d).Verify(ctx, sig)
			if level == policy.LevelStrict {
				wantCheck(t, err, check)
				continue
			}
			if err != nil {
				t.Fatalf("%s at %s: %v", check, level, err)
			}
			if got := loggedChecks(res); !strings.Contains(got, check) {
				t.Errorf("%s at %s: logged %q, want it to include %s", check, level, got, check)
			}
		}
	}
}

func jwsMediaType(t *testing.T) string {
	mt, err := notation.EnvelopeMediaType(notation.EnvelopeJWS)
	if err != nil {
		t.Fatal(err)
	}
	return mt
}
