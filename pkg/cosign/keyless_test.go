package cosign

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/layout"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/vouchsec/vouch/internal/corpus"
)

func corpusKeyless(t *testing.T, c corpus.Case) *Keyless {
	return &Keyless{TrustedMaterial: corpus.PublicGoodRoot(t), Issuer: c.Identity.Issuer,
		Subject: c.Identity.SAN, RequireTlog: true}
}

func TestVerifyKeylessSignatureCorpus(t *testing.T) {
	for _, c := range corpus.KeylessCases(t) {
		t.Run(c.ID, func(t *testing.T) {
			sig, h := corpus.CosignSignature(t, c, true)
			res, err := VerifyKeylessSignature(context.Background(), sig, h, corpusKeyless(t, c))
			if (err == nil) != (c.Expected == "pass") {
				t.Fatalf("err = %v, case expects %s", err, c.Expected)
			}
			if err != nil {
				return
			}
			if res.Subject != c.Identity.SAN || res.Issuer != c.Identity.Issuer {
				t.Errorf("identity %q %q, want %q %q", res.Subject, res.Issuer,
					c.Identity.SAN, c.Identity.Issuer)
			}
			if res.SignedAt.Year() < 2022 {
				t.Errorf("SignedAt = %v, want the log's integrated time", res.SignedAt)
			}
		})
	}
}

func TestVerifyKeylessSignatureRefused(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*Keyless)
		bundle bool
		check  string
	}{
		{"wrong issuer", func(k *Keyless) {
			k.Issuer = "https://accounts.google.com"
		}, true, CheckIdentity},
		{"wrong subject", func(k *Keyless) {
			k.Subject = "mitr@redhat.com.evil"
		}, true, CheckIdentity},
		{"regexp matching a prefix only", func(k *Keyless) {
			k.Subject, k.SubjectRegexp = "", `^(?:mitr@redhat)$`
		}, true, CheckIdentity},
		{"no SET with requireTlog", func(*Keyless) {}, false, CheckTlog},
		{"untrusted CA", func(k *Keyless) {
			k.TrustedMaterial = otherRoot(t)
		}, true, CheckCertificateChain},
		{"no CT log for the SCT", func(k *Keyless) {
			good := corpus.PublicGoodRoot(t)
			tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01,
				good.FulcioCertificateAuthorities(), nil, nil, good.RekorLogs())
			if err != nil {
				t.Fatal(err)
			}
			k.TrustedMaterial = tr
		}, true, CheckSCT},
		{"expired now without the log", func(k *Keyless) {
			k.RequireTlog = false
		}, false, CheckCertificateChain},
		{"timestamp required, none given", func(k *Keyless) {
			k.RequireTimestamp = true
		}, true, CheckTimestamp},
	}
	for _, c := range corpus.KeylessCases(t) {
		for _, tc := range tests {
			t.Run(c.ID+"/"+tc.name, func(t *testing.T) {
				sig, h := corpus.CosignSignature(t, c, tc.bundle)
				k := corpusKeyless(t, c)
				tc.edit(k)
				_, err := VerifyKeylessSignature(context.Background(), sig, h, k)
				var ce *CheckError
				if !errors.As(err, &ce) || ce.Check != tc.check {
					t.Fatalf("err = %v, want a %s check failure", err, tc.check)
				}
			})
		}
	}
}

func TestVerifyKeylessSignatureSubjectRegexp(t *testing.T) {
	for _, c := range corpus.KeylessCases(t) {
		sig, h := corpus.CosignSignature(t, c, true)
		k := corpusKeyless(t, c)
		k.Subject, k.SubjectRegexp = "", `^(?:[a-z]+@redhat\.com)$`
		if _, err := VerifyKeylessSignature(context.Background(), sig, h, k); err != nil {
			t.Errorf("%s: %v", c.ID, err)
		}
	}
}

func TestVerifyKeylessSignatureOtherImage(t *testing.T) {
	c := corpus.KeylessCases(t)[0]
	sig, _ := corpus.CosignSignature(t, c, true)
	other := v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("ab", 32)}
	_, err := VerifyKeylessSignature(context.Background(), sig, other, corpusKeyless(t, c))
	var ce *CheckError
	if !errors.As(err, &ce) || ce.Check != CheckPayloadDigest {
		t.Fatalf("err = %v, want a %s check failure", err, CheckPayloadDigest)
	}
}

// otherRoot is the corpus's public-good root with its Fulcio CA swapped for
// a fresh one: the log keys verify, the certificate does not chain.
func otherRoot(t *testing.T) root.TrustedMaterial {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1),
		Subject:   pkix.Name{CommonName: "sigstore", Organization: []string{"sigstore.dev"}},
		NotBefore: time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:  time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC),
		IsCA:      true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	good := corpus.PublicGoodRoot(t)
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01,
		[]root.CertificateAuthority{&root.FulcioCertificateAuthority{Root: ca,
			ValidityPeriodStart: tmpl.NotBefore, ValidityPeriodEnd: tmpl.NotAfter}},
		good.CTLogs(), nil, good.RekorLogs())
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestVerifyKeylessAttestationCorpus checks the corpus's keyless cosign
// attestations, saved as an OCI layout with the public-good trusted root.
func TestVerifyKeylessAttestationCorpus(t *testing.T) {
	for _, c := range corpus.Cases(t, "cosign-oci-layout-attestation") {
		t.Run(c.ID, func(t *testing.T) {
			att, h := layoutAttestation(t, c)
			tr, err := root.NewTrustedRootFromPath(corpus.Path(t, c.TrustedRoot))
			if err != nil {
				t.Fatal(err)
			}
			k := &Keyless{TrustedMaterial: tr, Issuer: c.Identity.Issuer,
				Subject: c.Identity.SAN, RequireTlog: true}
			res, err := VerifyKeylessAttestation(context.Background(), att, h, k)
			if (err == nil) != (c.Expected == "pass") {
				t.Fatalf("err = %v, case expects %s", err, c.Expected)
			}
			var ce *CheckError
			if err != nil && (!errors.As(err, &ce) || ce.Check != CheckIdentity) {
				t.Fatalf("err = %v, want an identity check failure", err)
			}
			if err == nil && len(res.Statement) == 0 {
				t.Error("no statement")
			}
		})
	}
}

// TestVerifyKeylessClaims checks Fulcio claims on the corpus's GitHub
// Actions attestation, whose identity is the SLSA generator's reusable
// workflow and whose source repository is slsa-framework/example-package:
// the claims are what tie the one to the other.
func TestVerifyKeylessClaims(t *testing.T) {
	const repo = "https://github.com/slsa-framework/example-package"
	tests := []struct {
		name   string
		claims certificate.Extensions
		want   string // part of the identity check's reason; "" for a pass
	}{
		{"repository and trigger", certificate.Extensions{SourceRepositoryURI: repo,
			BuildTrigger:             "workflow_dispatch",
			GithubWorkflowRepository: "slsa-framework/example-package"}, ""},
		{"other repository", certificate.Extensions{SourceRepositoryURI: repo + "-evil"},
			`claim sourceRepositoryURI: want "` + repo + `-evil", the certificate has "` + repo + `"`},
		{"other trigger", certificate.Extensions{SourceRepositoryURI: repo, BuildTrigger: "push"},
			`claim buildTrigger: want "push", the certificate has "workflow_dispatch"`},
		{"other ref", certificate.Extensions{SourceRepositoryRef: "refs/tags/v1.0.0"},
			`claim sourceRepositoryRef: want "refs/tags/v1.0.0"`},
	}
	var c corpus.Case
	for _, lc := range corpus.Cases(t, "cosign-oci-layout-attestation") {
		if lc.Expected == "pass" {
			c = lc
		}
	}
	att, h := layoutAttestation(t, c)
	tr, err := root.NewTrustedRootFromPath(corpus.Path(t, c.TrustedRoot))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := &Keyless{TrustedMaterial: tr, Issuer: c.Identity.Issuer,
				Subject: c.Identity.SAN, RequireTlog: true, Claims: tt.claims}
			_, err := VerifyKeylessAttestation(context.Background(), att, h, k)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ce *CheckError
			if !errors.As(err, &ce) || ce.Check != CheckIdentity ||
				!strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want an identity check failure with %q", err, tt.want)
			}
		})
	}
}

// TestVerifyKeylessSignatureClaimMissing checks that a claim the
// certificate does not carry at all (the corpus's signatures were made by
// a person, with no workflow extensions) refuses the signature.
func TestVerifyKeylessSignatureClaimMissing(t *testing.T) {
	for _, c := range corpus.KeylessCases(t) {
		sig, h := corpus.CosignSignature(t, c, true)
		k := corpusKeyless(t, c)
		k.Claims.GithubWorkflowRepository = "acme/app"
		_, err := VerifyKeylessSignature(context.Background(), sig, h, k)
		var ce *CheckError
		if !errors.As(err, &ce) || ce.Check != CheckIdentity ||
			!strings.Contains(err.Error(), `claim githubWorkflowRepository: want "acme/app", `+
				"the certificate has none") {
			t.Errorf("%s: err = %v, want an identity check failure naming the claim", c.ID, err)
		}
	}
}

// layoutAttestation reads the first attestation of a corpus OCI layout
// and the digest of the image it is for.
func layoutAttestation(t *testing.T, c corpus.Case) (oci.Signature, v1.Hash) {
	t.Helper()
	idx, err := layout.SignedImageIndex(corpus.Path(t, c.Layout))
	if err != nil {
		t.Fatal(err)
	}
	atts, err := idx.Attestations()
	if err != nil {
		t.Fatal(err)
	}
	list, err := atts.Get()
	if err != nil || len(list) == 0 {
		t.Fatalf("attestations: %d, %v", len(list), err)
	}
	h, err := v1.NewHash(c.SubjectDigest)
	if err != nil {
		t.Fatal(err)
	}
	return list[0], h
}
