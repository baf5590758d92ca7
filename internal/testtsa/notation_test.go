package testtsa

import (
	"context"
	"crypto/x509"
	"testing"

	"github.com/notaryproject/notation-core-go/signature"
	"github.com/notaryproject/notation-core-go/signature/jws"
	corex509 "github.com/notaryproject/notation-core-go/x509"
	"github.com/notaryproject/notation-go"
	"github.com/notaryproject/notation-go/signer"
	"github.com/notaryproject/tspclient-go"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/vouchsec/vouch/internal/testpki"
)

// TestNotationCountersignature signs through notation-go with the TSA and
// checks the countersignature the way notation's verifier does: the token
// chains to Root through a chain that meets the Notary Project's timestamping
// requirements, and it covers the envelope's signature value.
func TestNotationCountersignature(t *testing.T) {
	tsa := Start(t)
	pki := testpki.New(t, testpki.Options{})
	s, err := signer.NewGenericSigner(pki.Key, pki.Chain())
	if err != nil {
		t.Fatal(err)
	}
	timestamper, err := tspclient.NewHTTPTimestamper(nil, tsa.URL)
	if err != nil {
		t.Fatal(err)
	}
	desc := ocispec.Descriptor{
		MediaType: ocispec.MediaTypeImageManifest,
		Digest:    digest.FromString("manifest"),
		Size:      8,
	}
	sig, _, err := s.Sign(context.Background(), desc, notation.SignerSignOptions{
		SignatureMediaType: jws.MediaTypeEnvelope,
		Timestamper:        timestamper,
		TSARootCAs:         tsa.Pool(),
	})
	if err != nil {
		t.Fatalf("Sign with timestamp: %v", err)
	}

	env, err := signature.ParseEnvelope(jws.MediaTypeEnvelope, sig)
	if err != nil {
		t.Fatal(err)
	}
	content, err := env.Verify()
	if err != nil {
		t.Fatal(err)
	}
	info := content.SignerInfo
	if len(info.UnsignedAttributes.TimestampSignature) == 0 {
		t.Fatal("envelope has no timestamp countersignature")
	}
	token, err := tspclient.ParseSignedToken(info.UnsignedAttributes.TimestampSignature)
	if err != nil {
		t.Fatal(err)
	}
	opts := x509.VerifyOptions{Roots: tsa.Pool()}
	chain, err := token.Verify(context.Background(), opts)
	if err != nil {
		t.Fatalf("countersignature does not chain to the TSA root: %v", err)
	}
	if err := corex509.ValidateTimestampingCertChain(chain); err != nil {
		t.Fatalf("TSA chain breaks the Notary Project requirements: %v", err)
	}
	tst, err := token.Info()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tst.Validate(info.Signature); err != nil {
		t.Fatalf("countersignature does not cover the signature: %v", err)
	}
}
