package verify_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/vouchsec/vouch/attest"
	"github.com/vouchsec/vouch/internal/testreg"
	vnotation "github.com/vouchsec/vouch/pkg/notation"
	"github.com/vouchsec/vouch/pkg/notation/devcert"
	"github.com/vouchsec/vouch/pkg/policy"
	"github.com/vouchsec/vouch/verify"
)

// notarized pushes the sample image to a registry without the referrers
// API, signs it with notation and attaches a notation-signed SPDX
// attestation. It returns the image and the development chain used.
func notarized(t *testing.T) (name.Digest, *devcert.Set) {
	t.Helper()
	host := testreg.Distribution(t)
	h := testreg.PushSample(t, host, "staging/app", "1.0.0")
	d, err := name.NewDigest(host + "/staging/app@" + h.String())
	if err != nil {
		t.Fatal(err)
	}
	certs, err := devcert.Generate(pkix.Name{
		CommonName: "release", Organization: []string{"Acme"},
		Province: []string{"WA"}, Country: []string{"US"},
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	s, err := vnotation.NewSigner(certs.Key, certs.Chain)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := vnotation.Sign(t.Context(), d, s, vnotation.SignOptions{}); err != nil {
		t.Fatal(err)
	}
	pred, _ := json.Marshal(map[string]any{"spdxVersion": "SPDX-2.3", "name": "app"})
	st, err := attest.Statement(d.Context().Name(), h, policy.PredicateSPDX, pred)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := vnotation.Attest(t.Context(), d, st, s, vnotation.SignOptions{}); err != nil {
		t.Fatal(err)
	}
	return d, certs
}

func notationPolicy(d name.Digest, roots ...*x509.Certificate) *policy.Policy {
	return &policy.Policy{
		Version: policy.Version,
		Path:    "notation-test.yaml",
		Signers: map[string]*policy.Signer{
			"notary": {Name: "notary", Notation: &policy.NotationSigner{
				TrustStore: roots,
				Identities: []string{"x509.subject: C=US, ST=WA, O=Acme, CN=release"},
				Level:      policy.LevelStrict,
			}},
		},
		Policies: []*policy.ImagePolicy{{
			Name:         "staging",
			Scope:        []string{d.Context().Name()},
			Signatures:   &policy.SignatureRule{AnyOf: []string{"notary"}},
			Attestations: []*policy.AttestationRule{{Type: policy.TypeSBOM, SignedBy: []string{"notary"}}},
		}},
	}
}

func TestNotationBackend(t *testing.T) {
	d, certs := notarized(t)
	b := verify.NewNotationBackend(vnotation.RegistryOptions{}, vnotation.VerifyOptions{})

	res := verify.Digest(t.Context(), d, verify.Options{
		Policy: notationPolicy(d, certs.Root), Backends: []verify.Backend{b},
	})
	if !res.Passed() {
		t.Fatalf("status %s: %s %+v", res.Status, res.Error, res.Policies)
	}
	if len(res.Evidence) != 2 {
		t.Fatalf("evidence = %+v, want a signature and an attestation", res.Evidence)
	}
	for _, c := range res.Policies[0].Checks {
		if len(c.SatisfiedBy) != 1 || c.SatisfiedBy[0] != "notary" {
			t.Errorf("%s satisfied by %v, want [notary]", c.Requirement, c.SatisfiedBy)
		}
	}

	other, err := devcert.Generate(pkix.Name{CommonName: "other"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	res = verify.Digest(t.Context(), d, verify.Options{
		Policy: notationPolicy(d, other.Root), Backends: []verify.Backend{b},
	})
	if res.Passed() {
		t.Fatal("passed with a trust store that does not anchor the signer")
	}
	for _, e := range res.Evidence {
		if f := e.Failures["notary"]; !strings.Contains(f, vnotation.CheckAuthenticity) {
			t.Errorf("%s: failure %q does not name the authenticity check", e.Source, f)
		}
	}
}

func TestNotationEvidenceSignerKind(t *testing.T) {
	d, certs := notarized(t)
	b := verify.NewNotationBackend(vnotation.RegistryOptions{}, vnotation.VerifyOptions{})
	evs, err := b.Discover(t.Context(), d)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 {
		t.Fatalf("discovered %d pieces of evidence, want 2", len(evs))
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cosignSigner := &policy.Signer{Name: "key", Cosign: &policy.CosignSigner{PublicKey: key.Public()}}
	notary := notationPolicy(d, certs.Root).Signers["notary"]
	h, err := v1.NewHash(d.DigestStr())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if _, err := e.Verify(t.Context(), h, cosignSigner); !errors.Is(err, verify.ErrSignerKind) {
			t.Errorf("%s with a cosign signer: err = %v, want ErrSignerKind", e.Source(), err)
		}
		v, err := e.Verify(t.Context(), h, notary)
		if err != nil {
			t.Fatalf("%s: %v", e.Source(), err)
		}
		if (e.Kind() == verify.KindAttestation) != (len(v.Statement) > 0) {
			t.Errorf("%s (%s): statement of %d bytes", e.Source(), e.Kind(), len(v.Statement))
		}
		other := h
		other.Hex = strings.Repeat("0", 64)
		var ce *vnotation.CheckError
		if _, err := e.Verify(t.Context(), other, notary); !errors.As(err, &ce) ||
			ce.Check != vnotation.CheckTargetArtifact {
			t.Errorf("%s for another digest: err = %v", e.Source(), err)
		}
	}
}
