package devcert

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// The key types Options.KeyType accepts; all meet the Notary Project
// key-size requirements.
const (
	KeyECP256  = "ec-p256"
	KeyECP384  = "ec-p384"
	KeyECP521  = "ec-p521"
	KeyRSA2048 = "rsa-2048"
	KeyRSA3072 = "rsa-3072"
	KeyRSA4096 = "rsa-4096"
)

// clockSkew is how far certificates are backdated when no NotBefore is
// given.
const clockSkew = 5 * time.Minute

// DefaultValidity is the leaf certificate's lifetime when none is given.
const DefaultValidity = 365 * 24 * time.Hour

// Options shape a generated certificate set. The zero value, with a
// Subject, is a valid choice.
type Options struct {
	// Subject is the leaf certificate's subject; CN is required.
	Subject pkix.Name
	// Validity is the leaf's lifetime, from NotBefore or, when NotBefore
	// is zero, from now; zero means DefaultValidity. The root outlives the
	// leaf by a day.
	Validity time.Duration
	// NotBefore is the start of both certificates' validity; zero means
	// five minutes ago, to allow for clock skew.
	NotBefore time.Time
	// KeyType is one of the Key constants; empty means KeyECP256.
	KeyType string
}

// Set is a development CA and the code-signing certificate it issued.
type Set struct {
	// Key is the leaf certificate's private key.
	Key crypto.Signer
	// Leaf is the code-signing certificate.
	Leaf *x509.Certificate
	// Chain runs from Leaf to Root, as a signer presents it.
	Chain []*x509.Certificate
	// Root is the self-signed CA to put in a trust store.
	Root *x509.Certificate
}

// Generate returns a root CA and a leaf certificate for subject, valid from
// now for validity (zero means DefaultValidity), with ECDSA P-256 keys.
func Generate(subject pkix.Name, validity time.Duration) (*Set, error) {
	return New(Options{Subject: subject, Validity: validity})
}

// New returns a root CA and a leaf certificate as opts describe.
func New(opts Options) (*Set, error) {
	if opts.Subject.CommonName == "" {
		return nil, errors.New("generating certificates: subject has no CN")
	}
	if opts.Validity < 0 {
		return nil, fmt.Errorf("generating certificates: negative validity %s", opts.Validity)
	}
	if opts.Validity == 0 {
		opts.Validity = DefaultValidity
	}
	if opts.NotBefore.IsZero() {
		// Backdated to allow for clock skew; the validity still counts
		// from now.
		opts.NotBefore = time.Now().Add(-clockSkew)
		opts.Validity += clockSkew
	}
	rootKey, err := NewKey(opts.KeyType)
	if err != nil {
		return nil, err
	}
	leafKey, err := NewKey(opts.KeyType)
	if err != nil {
		return nil, err
	}
	root, err := issue(rootTemplate(opts), nil, rootKey, rootKey)
	if err != nil {
		return nil, fmt.Errorf("issuing root certificate: %w", err)
	}
	leaf, err := issue(leafTemplate(opts), root, leafKey, rootKey)
	if err != nil {
		return nil, fmt.Errorf("issuing leaf certificate: %w", err)
	}
	return &Set{Key: leafKey, Leaf: leaf, Chain: []*x509.Certificate{leaf, root}, Root: root}, nil
}

// NewKey generates a private key of one of the Key types; empty means
// KeyECP256.
func NewKey(keyType string) (crypto.Signer, error) {
	switch keyType {
	case "", KeyECP256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case KeyECP384:
		return ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case KeyECP521:
		return ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case KeyRSA2048:
		return rsa.GenerateKey(rand.Reader, 2048)
	case KeyRSA3072:
		return rsa.GenerateKey(rand.Reader, 3072)
	case KeyRSA4096:
		return rsa.GenerateKey(rand.Reader, 4096)
	}
	return nil, fmt.Errorf("unsupported key type %q (want one of %s, %s, %s, %s, %s, %s)",
		keyType, KeyECP256, KeyECP384, KeyECP521, KeyRSA2048, KeyRSA3072, KeyRSA4096)
}

// rootTemplate is a CA that may sign end-entity certificates only.
func rootTemplate(opts Options) *x509.Certificate {
	subject := pkix.Name{
		CommonName:   opts.Subject.CommonName + " development root CA",
		Organization: opts.Subject.Organization,
		Province:     opts.Subject.Province,
		Country:      opts.Subject.Country,
	}
	return &x509.Certificate{
		Subject:               subject,
		NotBefore:             opts.NotBefore,
		NotAfter:              opts.NotBefore.Add(opts.Validity + 24*time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
}

// leafTemplate is a code-signing end-entity certificate.
func leafTemplate(opts Options) *x509.Certificate {
	return &x509.Certificate{
		Subject:               opts.Subject,
		NotBefore:             opts.NotBefore,
		NotAfter:              opts.NotBefore.Add(opts.Validity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		BasicConstraintsValid: true,
	}
}

// issue signs tmpl with signerKey, as parent (or self-signed when parent
// is nil), and parses the result.
func issue(tmpl, parent *x509.Certificate, key, signerKey crypto.Signer) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("serial number: %w", err)
	}
	tmpl.SerialNumber = serial.Add(serial, big.NewInt(1))
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), signerKey)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}
