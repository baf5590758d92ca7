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
	"sync"
	"time"
)

// ca is a certificate authority that publishes a CRL.
type ca struct {
	cert    *x509.Certificate
	key     crypto.Signer
	crlURL  string
	crlPath string
	server  *crlServer
	mu      sync.Mutex // guards revoked and number
	revoked []x509.RevocationListEntry
	number  int64
}

// newCA issues a CA certificate, self-signed when parent is nil, and
// publishes its empty CRL.
func newCA(parent *ca, name string, maxPathLen int, now time.Time, srv *crlServer) (*ca, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating %s key: %w", name, err)
	}
	tmpl := &x509.Certificate{
		Subject: pkix.Name{
			Country:      []string{"US"},
			Organization: []string{"vouch test"},
			CommonName:   name,
		},
		NotBefore:             now.Add(-72 * time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            maxPathLen,
		MaxPathLenZero:        maxPathLen == 0,
	}
	c := &ca{key: key, server: srv}
	c.crlPath, c.crlURL = srv.newPath()
	if parent == nil {
		c.cert, err = create(tmpl, tmpl, key.Public(), key)
	} else {
		tmpl.CRLDistributionPoints = []string{parent.crlURL}
		c.cert, err = parent.issue(tmpl, key.Public())
	}
	if err != nil {
		return nil, fmt.Errorf("issuing %s: %w", name, err)
	}
	if err := c.publish(now); err != nil {
		return nil, err
	}
	return c, nil
}

// issue signs tmpl for pub with the CA's key.
func (c *ca) issue(tmpl *x509.Certificate, pub crypto.PublicKey) (*x509.Certificate, error) {
	return create(tmpl, c.cert, pub, c.key)
}

// create gives tmpl a serial number and signs it as parent with signer.
func create(
	tmpl, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer,
) (*x509.Certificate, error) {
	sn, err := serial()
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = sn
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

// revoke adds cert to the CRL and publishes it again.
func (c *ca) revoke(cert *x509.Certificate, now time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.revoked = append(c.revoked, x509.RevocationListEntry{
		SerialNumber:   cert.SerialNumber,
		RevocationTime: now,
		ReasonCode:     1, // keyCompromise
	})
	return c.publish(now)
}

// publish signs the current CRL, valid for a day, and serves it.
func (c *ca) publish(now time.Time) error {
	c.number++
	tmpl := &x509.RevocationList{
		Number:                    big.NewInt(c.number),
		ThisUpdate:                now.Add(-time.Minute),
		NextUpdate:                now.Add(24 * time.Hour),
		RevokedCertificateEntries: c.revoked,
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, c.cert, c.key)
	if err != nil {
		return fmt.Errorf("signing CRL of %s: %w", c.cert.Subject.CommonName, err)
	}
	c.server.set(c.crlPath, der)
	return nil
}
