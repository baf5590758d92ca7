package teststack

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
)

// Parts of a trusted root that ImpostorRoot can replace.
const (
	PartFulcio = "fulcio"
	PartCTLog  = "ctlog"
	PartRekor  = "rekor"
	PartTSA    = "tsa"
)

// ImpostorRoot returns the stack's trusted root as a trusted_root.json
// with one part replaced by another deployment's: a Fulcio CA, CT log,
// Rekor log or timestamp authority with keys of its own, under the same
// URL. Nothing the stack made verifies under that part, while the root
// still lists one of each, as a well-formed root does.
func (s *Stack) ImpostorRoot(t testing.TB, part string) []byte {
	t.Helper()
	tr := s.root
	cas, ct, tsas, rekor := tr.FulcioCertificateAuthorities(), tr.CTLogs(),
		tr.TimestampingAuthorities(), tr.RekorLogs()
	start := time.Now().Add(-validBefore)
	switch part {
	case PartFulcio:
		cert := impostorCA(t, "impostor Fulcio")
		cas = []root.CertificateAuthority{&root.FulcioCertificateAuthority{
			Root: cert, ValidityPeriodStart: cert.NotBefore, URI: s.FulcioURL}}
	case PartTSA:
		cert := impostorCA(t, "impostor TSA")
		tsas = []root.TimestampingAuthority{&root.SigstoreTimestampingAuthority{
			Root: cert, ValidityPeriodStart: cert.NotBefore, URI: s.TSAURL}}
	case PartCTLog, PartRekor:
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatalf("teststack: %v", err)
		}
		url := map[string]string{PartCTLog: s.CTLogURL, PartRekor: s.RekorURL}[part]
		l, err := transparencyLog(&key.PublicKey, url, start)
		if err != nil {
			t.Fatalf("teststack: %v", err)
		}
		if part == PartCTLog {
			ct = byID(l)
		} else {
			rekor = byID(l)
		}
	default:
		t.Fatalf("teststack: no trusted root part %q", part)
	}
	imp, err := root.NewTrustedRoot(root.TrustedRootMediaType01, cas, ct, tsas, rekor)
	if err != nil {
		t.Fatalf("teststack: %v", err)
	}
	data, err := imp.MarshalJSON()
	if err != nil {
		t.Fatalf("teststack: %v", err)
	}
	return data
}

// impostorCA makes a self-signed CA certificate with a fresh key.
func impostorCA(t testing.TB, cn string) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("teststack: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-2 * validBefore),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("teststack: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("teststack: %v", err)
	}
	return cert
}
