package devcert

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Files names what a write produced.
type Files struct {
	// Key is the PKCS#8 private key, readable by its owner only.
	Key string
	// Cert is the signing certificate followed by its chain; empty for a
	// CSR.
	Cert string
	// CA is the root certificate for a trust store; empty for a CSR.
	CA string
	// CSR is the certificate signing request; empty for a certificate set.
	CSR string
}

// Write writes the set as prefix.key (PKCS#8 PEM, mode 0600), prefix.crt
// (the leaf then the rest of the chain, PEM) and prefix-ca.crt (the root).
// It refuses to replace any existing file, and leaves none of the three
// behind when it fails.
func (s *Set) Write(prefix string) (Files, error) {
	f := Files{Key: prefix + ".key", Cert: prefix + ".crt", CA: prefix + "-ca.crt"}
	key, err := keyPEM(s.Key)
	if err != nil {
		return Files{}, err
	}
	err = writeAll([]file{
		{f.Key, key, 0o600},
		{f.Cert, certsPEM(s.Chain...), 0o644},
		{f.CA, certsPEM(s.Root), 0o644},
	})
	if err != nil {
		return Files{}, err
	}
	return f, nil
}

// WriteCSR generates a key of keyType (see [NewKey]) and writes it as
// prefix.key (PKCS#8 PEM, mode 0600) with a certificate signing request for
// subject as prefix.csr. The request asks for the key usage and extended key
// usage a Notary Project signing certificate needs. It refuses to replace
// existing files and leaves neither behind when it fails.
func WriteCSR(prefix string, subject pkix.Name, keyType string) (Files, error) {
	if subject.CommonName == "" {
		return Files{}, errors.New("writing CSR: subject has no CN")
	}
	k, err := NewKey(keyType)
	if err != nil {
		return Files{}, err
	}
	csr, err := newCSR(subject, k)
	if err != nil {
		return Files{}, err
	}
	key, err := keyPEM(k)
	if err != nil {
		return Files{}, err
	}
	f := Files{Key: prefix + ".key", CSR: prefix + ".csr"}
	err = writeAll([]file{
		{f.Key, key, 0o600},
		{f.CSR, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csr}), 0o644},
	})
	if err != nil {
		return Files{}, err
	}
	return f, nil
}

// Object identifiers of the extensions a CSR requests.
var (
	oidKeyUsage    = asn1.ObjectIdentifier{2, 5, 29, 15}
	oidExtKeyUsage = asn1.ObjectIdentifier{2, 5, 29, 37}
	oidCodeSigning = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 3}
)

func newCSR(subject pkix.Name, k crypto.Signer) ([]byte, error) {
	// digitalSignature is bit 0 of the KeyUsage BIT STRING.
	ku, err := asn1.Marshal(asn1.BitString{Bytes: []byte{0x80}, BitLength: 1})
	if err != nil {
		return nil, err
	}
	eku, err := asn1.Marshal([]asn1.ObjectIdentifier{oidCodeSigning})
	if err != nil {
		return nil, err
	}
	tmpl := &x509.CertificateRequest{
		Subject: subject,
		ExtraExtensions: []pkix.Extension{
			{Id: oidKeyUsage, Critical: true, Value: ku},
			{Id: oidExtKeyUsage, Value: eku},
		},
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, k)
	if err != nil {
		return nil, fmt.Errorf("creating CSR: %w", err)
	}
	return der, nil
}

func keyPEM(k crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("encoding private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func certsPEM(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

type file struct {
	path string
	data []byte
	mode fs.FileMode
}

// writeAll writes every file or none. Each is written in full to a
// temporary file beside it first, then hard-linked into place, which fails
// rather than replace a file that exists.
func writeAll(files []file) (err error) {
	for _, f := range files {
		if _, err := os.Lstat(f.path); err == nil {
			return fmt.Errorf("%s already exists: refusing to overwrite it", f.path)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("checking %s: %w", f.path, err)
		}
	}
	var temps, placed []string
	defer func() {
		for _, t := range temps {
			os.Remove(t)
		}
		if err != nil {
			for _, p := range placed {
				os.Remove(p)
			}
		}
	}()
	for _, f := range files {
		t, err := writeTemp(f)
		if err != nil {
			return err
		}
		temps = append(temps, t)
	}
	for i, f := range files {
		if err := os.Link(temps[i], f.path); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("%s already exists: refusing to overwrite it", f.path)
			}
			return fmt.Errorf("writing %s: %w", f.path, err)
		}
		placed = append(placed, f.path)
	}
	return nil
}

func writeTemp(f file) (string, error) {
	tmp, err := os.CreateTemp(filepath.Dir(f.path), "."+filepath.Base(f.path)+".tmp*")
	if err != nil {
		return "", fmt.Errorf("writing %s: %w", f.path, err)
	}
	name := tmp.Name()
	err = tmp.Chmod(f.mode)
	if err == nil {
		_, err = tmp.Write(f.data)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return "", fmt.Errorf("writing %s: %w", f.path, err)
	}
	return name, nil
}
