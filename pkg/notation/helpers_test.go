package notation_test

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/vouchsec/vouch/attest"
	"github.com/vouchsec/vouch/internal/testreg"
	"github.com/vouchsec/vouch/pkg/notation"
	"github.com/vouchsec/vouch/pkg/notation/devcert"
	"github.com/vouchsec/vouch/pkg/policy"
)

const (
	repoPath      = "sample/app"
	predicateSPDX = "https://spdx.dev/Document"
	identity      = "x509.subject: C=US, ST=WA, O=Acme, CN=release"
)

var leafSubject = pkix.Name{
	CommonName: "release", Organization: []string{"Acme"},
	Province: []string{"WA"}, Country: []string{"US"},
}

// registries are the three registries every round trip runs on.
var registries = []struct {
	name  string
	start func(t testing.TB) string
	// referrersAPI is whether the registry serves the referrers API.
	referrersAPI bool
}{
	{"ggcr", func(t testing.TB) string { return testreg.GGCR(t, false) }, false},
	{"ggcr-referrers", func(t testing.TB) string { return testreg.GGCR(t, true) }, true},
	{"distribution", testreg.Distribution, false},
}

// sample pushes the sample image to host and returns its digest reference.
func sample(t *testing.T, host string) name.Digest {
	t.Helper()
	h := testreg.PushSample(t, host, repoPath, "1.0.0")
	d, err := name.NewDigest(host + "/" + repoPath + "@" + h.String())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// devCerts returns a fresh development chain for leafSubject.
func devCerts(t *testing.T) *devcert.Set {
	t.Helper()
	s, err := devcert.Generate(leafSubject, 0)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func signerOf(t *testing.T, s *devcert.Set) notation.Signer {
	t.Helper()
	sg, err := notation.NewSigner(s.Key, s.Chain)
	if err != nil {
		t.Fatal(err)
	}
	return sg
}

// trusting is a strict policy signer that trusts roots for identity.
func trusting(roots ...*x509.Certificate) *policy.NotationSigner {
	return &policy.NotationSigner{
		TrustStore: roots,
		Identities: []string{identity},
		Level:      policy.LevelStrict,
	}
}

func verifier(t *testing.T, s *policy.NotationSigner, d name.Digest) *notation.Verifier {
	t.Helper()
	v, err := notation.NewVerifier(s, d.Context().Name(), notation.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// discover returns the evidence attached to d, failing the test on error.
func discover(t *testing.T, d name.Digest) *notation.Evidence {
	t.Helper()
	ev, err := notation.Discover(t.Context(), d, notation.RegistryOptions{})
	if err != nil {
		t.Fatalf("discovering %s: %v", d, err)
	}
	return ev
}

// onlySignature returns the one signature attached to d.
func onlySignature(t *testing.T, d name.Digest) *notation.Signature {
	t.Helper()
	ev := discover(t, d)
	if len(ev.Signatures) != 1 {
		t.Fatalf("found %d signatures on %s, want 1", len(ev.Signatures), d)
	}
	return ev.Signatures[0]
}

// wantCheck fails the test unless err is a *notation.CheckError for check.
func wantCheck(t *testing.T, err error, check string) {
	t.Helper()
	var ce *notation.CheckError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a %s CheckError", err, check)
	}
	if ce.Check != check {
		t.Fatalf("failed check = %s (%v), want %s", ce.Check, ce.Err, check)
	}
}

// statement is an SPDX in-toto statement about d.
func statement(t *testing.T, d name.Digest) []byte {
	t.Helper()
	h, err := v1.NewHash(d.DigestStr())
	if err != nil {
		t.Fatal(err)
	}
	pred, _ := json.Marshal(map[string]any{"spdxVersion": "SPDX-2.3", "name": "app"})
	st, err := attest.Statement(d.Context().Name(), h, predicateSPDX, pred)
	if err != nil {
		t.Fatal(err)
	}
	return st
}
