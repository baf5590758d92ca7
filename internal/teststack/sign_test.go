package teststack

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore-go/pkg/verify"
)

// signOptions points sigstore-go's signer at every service of s, the
// certificate requested with token.
func signOptions(s *Stack, token string) sign.BundleOptions {
	return sign.BundleOptions{
		CertificateProvider:        sign.NewFulcio(&sign.FulcioOptions{BaseURL: s.FulcioURL}),
		CertificateProviderOptions: &sign.CertificateProviderOptions{IDToken: token},
		TransparencyLogs: []sign.Transparency{
			sign.NewRekor(&sign.RekorOptions{BaseURL: s.RekorURL}),
		},
		TimestampAuthorities: []*sign.TimestampAuthority{
			sign.NewTimestampAuthority(&sign.TimestampAuthorityOptions{URL: s.TSAURL}),
		},
		Context: context.Background(),
	}
}

// verifyBundle checks b as a strict verifier would: one SCT, one tlog entry
// and one observer timestamp, signed by email's certificate from issuer.
func verifyBundle(t *testing.T, s *Stack, b *bundle.Bundle, artifact []byte,
	issuer, email string,
) *verify.VerificationResult {
	t.Helper()
	v, err := verify.NewVerifier(s.TrustedRoot(), verify.WithSignedCertificateTimestamps(1),
		verify.WithTransparencyLog(1), verify.WithObserverTimestamps(1))
	if err != nil {
		t.Fatal(err)
	}
	id, err := verify.NewShortCertificateIdentity(issuer, "", email, "")
	if err != nil {
		t.Fatal(err)
	}
	res, err := v.Verify(b, verify.NewPolicy(
		verify.WithArtifact(bytes.NewReader(artifact)), verify.WithCertificateIdentity(id)))
	if err != nil {
		t.Fatalf("verifying bundle: %v", err)
	}
	return res
}

func keylessBundle(t *testing.T, s *Stack, content sign.Content, email string) *bundle.Bundle {
	t.Helper()
	kp, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := sign.Bundle(content, kp, signOptions(s, s.EmailToken(t, email)))
	if err != nil {
		t.Fatalf("signing: %v\nfulcio's log:\n%s", err, s.FulcioLog())
	}
	b, err := bundle.NewBundle(pb)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMessageSignatureRoundTrip(t *testing.T) {
	s := Start(t)
	const email = "alice@example.com"
	data := []byte("hello, keyless world")
	b := keylessBundle(t, s, &sign.PlainData{Data: data}, email)
	res := verifyBundle(t, s, b, data, s.IssuerURL(EmailIssuer), email)

	cert := res.Signature.Certificate
	if cert.SubjectAlternativeName != email {
		t.Errorf("SAN = %q, want %q", cert.SubjectAlternativeName, email)
	}
	if cert.Issuer != s.IssuerURL(EmailIssuer) {
		t.Errorf("issuer extension = %q, want %q", cert.Issuer, s.IssuerURL(EmailIssuer))
	}
	if n := len(res.VerifiedTimestamps); n < 2 {
		t.Errorf("verified %d timestamps, want the TSA's and Rekor's", n)
	}
}

func TestDSSERoundTrip(t *testing.T) {
	s := Start(t)
	const email = "bob@example.com"
	artifact := []byte("release tarball")
	sum := sha256.Sum256(artifact)
	subject := map[string]any{
		"name": "app.tgz", "digest": map[string]string{"sha256": hex.EncodeToString(sum[:])},
	}
	statement, err := json.Marshal(map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{subject},
		"predicateType": "https://slsa.dev/provenance/v1",
		"predicate":     map[string]any{},
	})
	if err != nil {
		t.Fatal(err)
	}
	content := &sign.DSSEData{Data: statement, PayloadType: "application/vnd.in-toto+json"}
	b := keylessBundle(t, s, content, email)
	if b.GetDsseEnvelope() == nil {
		t.Fatal("bundle holds no DSSE envelope")
	}
	res := verifyBundle(t, s, b, artifact, s.IssuerURL(EmailIssuer), email)
	if res.Statement == nil || res.Statement.PredicateType != "https://slsa.dev/provenance/v1" {
		t.Errorf("statement = %v, want the signed provenance statement", res.Statement)
	}
}
