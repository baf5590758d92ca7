package policy

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/notaryproject/notation-go/verifier/truststore"
)

// Limits on what a trust store may make the loader read: a bundle of a
// few hundred PEM roots fits in one file.
const (
	maxCertFileSize  = 1 << 20
	maxTrustStoreLen = 1000
)

// readTrustStore reads the certificates of a trust store: one PEM or DER
// file, or a directory of such files as in a notation trust store's
// x509/ca/NAME. It applies notation's rules: every certificate in a CA
// store is a CA certificate or self-signed, and every certificate in a
// TSA store (tsa set) is a self-issued root CA certificate.
func readTrustStore(path string, tsa bool) ([]*x509.Certificate, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return readCertFile(path, tsa)
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, err
	}
	if len(entries) > maxTrustStoreLen {
		return nil, fmt.Errorf("%s holds more than %d files", path, maxTrustStoreLen)
	}
	var all []*x509.Certificate
	for _, e := range entries {
		file := filepath.Join(path, e.Name())
		if e.IsDir() || e.Type()&fs.ModeSymlink != 0 {
			return nil, fmt.Errorf("%s is not a regular file; "+
				"a trust store directory holds certificate files only", file)
		}
		certs, err := readCertFile(file, tsa)
		if err != nil {
			return nil, err
		}
		all = append(all, certs...)
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("trust store directory %s holds no certificates", path)
	}
	return all, nil
}

// readCertFile reads and checks the certificates in one PEM or DER file.
func readCertFile(file string, tsa bool) ([]*x509.Certificate, error) {
	data, err := readBounded(file, maxCertFileSize)
	if err != nil {
		return nil, err
	}
	certs, err := parseCertificates(data)
	if err != nil {
		return nil, fmt.Errorf("parsing %s: %w", file, err)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("%s holds no certificate", file)
	}
	if err := truststore.ValidateCertificates(certs); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if tsa {
		for _, c := range certs {
			if err := checkRoot(c); err != nil {
				return nil, fmt.Errorf("%s: %w", file, err)
			}
		}
	}
	return certs, nil
}

// parseCertificates reads PEM CERTIFICATE blocks or, when data holds no
// PEM, DER certificates. Any other PEM block, such as a key, is an error.
func parseCertificates(data []byte) ([]*x509.Certificate, error) {
	block, rest := pem.Decode(data)
	if block == nil {
		return x509.ParseCertificates(data)
	}
	var certs []*x509.Certificate
	for ; block != nil; block, rest = pem.Decode(rest) {
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("found a PEM %s block; want certificates only", block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		certs = append(certs, c)
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return nil, errors.New("trailing data after the last PEM block")
	}
	return certs, nil
}

// checkRoot reports whether c is a root CA certificate: a CA that issued
// and signed itself.
func checkRoot(c *x509.Certificate) error {
	if !bytes.Equal(c.RawSubject, c.RawIssuer) {
		return fmt.Errorf("certificate %q is not a root: its issuer is %q", c.Subject, c.Issuer)
	}
	if err := c.CheckSignatureFrom(c); err != nil {
		return fmt.Errorf("certificate %q is not a root CA certificate: %w", c.Subject, err)
	}
	return nil
}
