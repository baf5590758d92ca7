// Package testpki issues X.509 chains for notation tests: a root CA, an
// intermediate CA and a code-signing leaf that meet the Notary Project's
// certificate requirements (critical key usage, CA basic constraints,
// codeSigning extended key usage, ECDSA P-256 keys).
//
// Both CAs publish a CRL from an httptest server on 127.0.0.1, and the leaf
// and intermediate name it in their CRL distribution points, so
// notation-core-go's revocation package checks them through the CRL path.
// Revoke re-issues the issuer's CRL. A verifier that caches CRLs by URL will
// not see a revocation made after it cached the list; give such a verifier a
// fresh cache. The certificates carry no OCSP URL.
package testpki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"testing"
	"time"
)

// Options shape the leaf certificate. The zero value gives a leaf that is
// valid now, with DefaultSubject().
type Options struct {
	// Subject is the leaf's subject; empty means DefaultSubject().
	Subject pkix.Name
	// Expired makes a leaf whose validity ended a day ago.
	Expired bool
	// NotYetValid makes a leaf whose validity starts in a day; Expired wins
	// when both are set.
	NotYetValid bool
}

// DefaultSubject returns the leaf subject used when Options.Subject is empty.
// It has the C, ST and O attributes a notation trust policy identity must name.
func DefaultSubject() pkix.Name {
	return pkix.Name{
		Country:      []string{"US"},
		Province:     []string{"WA"},
		Locality:     []string{"Seattle"},
		Organization: []string{"vouch test"},
		CommonName:   "vouch test signer",
	}
}

// PKI is a root CA, an intermediate CA and a code-signing leaf, with the
// CRLs of both CAs served on loopback. Its methods fail the test it was
// made for, so call them from that test's goroutine.
type PKI struct {
	Root         *x509.Certificate
	Intermediate *x509.Certificate
	Leaf         *x509.Certificate
	// Key is the leaf's private key (an *ecdsa.PrivateKey).
	Key crypto.Signer

	t         testing.TB
	rootCA    *ca
	interCA   *ca
	crlServer *crlServer
}

// New issues a chain and starts its CRL server, stopped by t.Cleanup.
func New(t testing.TB, opts Options) *PKI {
	t.Helper()
	p := &PKI{t: t, crlServer: startCRLServer(t)}
	now := time.Now()
	var err error
	p.rootCA, err = newCA(nil, "vouch test root", 1, now, p.crlServer)
	if err != nil {
		t.Fatalf("testpki: %v", err)
	}
	p.interCA, err = newCA(p.rootCA, "vouch test intermediate", 0, now, p.crlServer)
	if err != nil {
		t.Fatalf("testpki: %v", err)
	}
	p.Root, p.Intermediate = p.rootCA.cert, p.interCA.cert
	p.Leaf, p.Key, err = newLeaf(p.interCA, opts, now)
	if err != nil {
		t.Fatalf("testpki: %v", err)
	}
	return p
}

// Chain returns leaf, intermediate and root, the order notation signs with.
func (p *PKI) Chain() []*x509.Certificate {
	return []*x509.Certificate{p.Leaf, p.Intermediate, p.Root}
}

// Pool returns a certificate pool holding only the root.
func (p *PKI) Pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(p.Root)
	return pool
}

// newLeaf issues the code-signing certificate.
func newLeaf(issuer *ca, opts Options, now time.Time) (*x509.Certificate, crypto.Signer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generating leaf key: %w", err)
	}
	notBefore, notAfter := now.Add(-time.Hour), now.Add(24*time.Hour)
	switch {
	case opts.Expired:
		notBefore, notAfter = now.Add(-48*time.Hour), now.Add(-24*time.Hour)
	case opts.NotYetValid:
		notBefore, notAfter = now.Add(24*time.Hour), now.Add(48*time.Hour)
	}
	subject := opts.Subject
	if subject.String() == "" {
		subject = DefaultSubject()
	}
	tmpl := &x509.Certificate{
		Subject:               subject,
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		BasicConstraintsValid: true,
		CRLDistributionPoints: []string{issuer.crlURL},
	}
	cert, err := issuer.issue(tmpl, key.Public())
	if err != nil {
		return nil, nil, fmt.Errorf("issuing leaf: %w", err)
	}
	return cert, key, nil
}

// serial returns a random positive 128-bit serial number.
func serial() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("generating serial number: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil
}
