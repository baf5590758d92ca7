package testpki

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
)

// Files are the paths WriteFiles wrote.
type Files struct {
	Key   string // leaf key, PKCS#8 PEM, mode 0600
	Chain string // leaf, intermediate, root
	Root  string // root only, for a trust store
}

// KeyPEM returns the leaf's private key as a PKCS#8 "PRIVATE KEY" block.
func (p *PKI) KeyPEM() []byte {
	der, err := x509.MarshalPKCS8PrivateKey(p.Key)
	if err != nil {
		p.t.Fatalf("testpki: marshaling key: %v", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// ChainPEM returns leaf, intermediate and root as PEM certificates.
func (p *PKI) ChainPEM() []byte {
	return CertsPEM(p.Chain()...)
}

// RootPEM returns the root as a PEM certificate.
func (p *PKI) RootPEM() []byte {
	return CertsPEM(p.Root)
}

// WriteFiles writes the key, the chain and the root into dir.
func (p *PKI) WriteFiles(dir string) Files {
	p.t.Helper()
	f := Files{
		Key:   filepath.Join(dir, "leaf.key"),
		Chain: filepath.Join(dir, "leaf.crt"),
		Root:  filepath.Join(dir, "root.crt"),
	}
	for path, data := range map[string][]byte{
		f.Key: p.KeyPEM(), f.Chain: p.ChainPEM(), f.Root: p.RootPEM(),
	} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			p.t.Fatalf("testpki: %v", err)
		}
	}
	return f
}

// CertsPEM encodes certs as consecutive PEM "CERTIFICATE" blocks.
func CertsPEM(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{
			Type: "CERTIFICATE", Bytes: c.Raw,
		})...)
	}
	return out
}
