package testpki

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/notaryproject/notation-core-go/revocation"
	"github.com/notaryproject/notation-core-go/revocation/result"
	corex509 "github.com/notaryproject/notation-core-go/x509"
)

func TestChainMeetsNotaryRequirements(t *testing.T) {
	p := New(t, Options{})
	now := time.Now()
	if err := corex509.ValidateCodeSigningCertChain(p.Chain(), &now); err != nil {
		t.Fatalf("ValidateCodeSigningCertChain: %v", err)
	}
	_, err := p.Leaf.Verify(x509.VerifyOptions{
		Roots:         p.Pool(),
		Intermediates: certPool(p.Intermediate),
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
	})
	if err != nil {
		t.Fatalf("leaf does not verify for code signing: %v", err)
	}
	if want := DefaultSubject().String(); p.Leaf.Subject.String() != want {
		t.Errorf("leaf subject %q, want %q", p.Leaf.Subject, want)
	}
}

func TestLeafValidity(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name string
		opts Options
	}{
		{"expired", Options{Expired: true}},
		{"not yet valid", Options{NotYetValid: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := New(t, tt.opts)
			err := corex509.ValidateCodeSigningCertChain(p.Chain(), &now)
			if err == nil {
				t.Fatal("chain validated at the current time")
			}
			// Without a signing time the chain is otherwise well formed.
			if err := corex509.ValidateCodeSigningCertChain(p.Chain(), nil); err != nil {
				t.Fatalf("chain is malformed: %v", err)
			}
		})
	}
}

func TestRevoke(t *testing.T) {
	p := New(t, Options{})
	validator, err := revocation.NewWithOptions(revocation.Options{})
	if err != nil {
		t.Fatal(err)
	}
	check := func(want ...result.Result) {
		t.Helper()
		results, err := validator.ValidateContext(context.Background(),
			revocation.ValidateContextOptions{CertChain: p.Chain()})
		if err != nil {
			t.Fatalf("ValidateContext: %v", err)
		}
		for i, w := range want {
			r := results[i]
			if r.Result != w || r.RevocationMethod != result.RevocationMethodCRL {
				t.Errorf("cert %d: %v by method %v, want %v by CRL; servers: %v",
					i, r.Result, r.RevocationMethod, w, serverErrors(r))
			}
		}
	}
	check(result.ResultOK, result.ResultOK)
	p.Revoke(p.Leaf)
	check(result.ResultRevoked, result.ResultOK)
	p.Revoke(p.Intermediate)
	check(result.ResultRevoked, result.ResultRevoked)
}

func TestRevokeIsPerPKI(t *testing.T) {
	a, b := New(t, Options{}), New(t, Options{})
	a.Revoke(a.Leaf)
	validator, err := revocation.NewWithOptions(revocation.Options{})
	if err != nil {
		t.Fatal(err)
	}
	results, err := validator.ValidateContext(context.Background(),
		revocation.ValidateContextOptions{CertChain: b.Chain()})
	if err != nil {
		t.Fatal(err)
	}
	if results[0].Result != result.ResultOK {
		t.Fatalf("other PKI's leaf: %v, want OK", results[0].Result)
	}
}

func TestWriteFiles(t *testing.T) {
	p := New(t, Options{})
	f := p.WriteFiles(t.TempDir())

	chain, err := corex509.ReadCertificateFile(f.Chain)
	if err != nil {
		t.Fatal(err)
	}
	if len(chain) != 3 || !chain[0].Equal(p.Leaf) || !chain[2].Equal(p.Root) {
		t.Fatalf("chain file holds %d certificates in the wrong order", len(chain))
	}
	roots, err := corex509.ReadCertificateFile(f.Root)
	if err != nil || len(roots) != 1 || !roots[0].Equal(p.Root) {
		t.Fatalf("root file: %v, %d certificates", err, len(roots))
	}

	data, err := os.ReadFile(f.Key)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		t.Fatalf("key file is not a PKCS#8 PEM block")
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if ec, ok := key.(*ecdsa.PrivateKey); !ok || !ec.PublicKey.Equal(p.Key.Public()) {
		t.Error("key file does not hold the leaf key")
	}
	if info, err := os.Stat(f.Key); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode: %v, %v", info.Mode(), err)
	}
	if filepath.Dir(f.Key) != filepath.Dir(f.Root) {
		t.Error("files written to different directories")
	}
}

func certPool(certs ...*x509.Certificate) *x509.CertPool {
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool
}

func serverErrors(r *result.CertRevocationResult) []error {
	var errs []error
	for _, s := range r.ServerResults {
		errs = append(errs, s.Error)
	}
	return errs
}
