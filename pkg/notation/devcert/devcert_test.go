package devcert

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corex509 "github.com/notaryproject/notation-core-go/x509"
)

var subject = pkix.Name{
	CommonName: "release", Organization: []string{"Acme"},
	Province: []string{"WA"}, Country: []string{"US"},
}

func TestGenerateMeetsNotaryRequirements(t *testing.T) {
	for _, kt := range []string{KeyECP256, KeyECP384, KeyECP521, KeyRSA2048} {
		t.Run(kt, func(t *testing.T) {
			s, err := New(Options{Subject: subject, KeyType: kt})
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			if err := corex509.ValidateCodeSigningCertChain(s.Chain, &now); err != nil {
				t.Errorf("notation-core-go rejects the chain: %v", err)
			}
			if s.Leaf.IsCA || s.Leaf.KeyUsage != x509.KeyUsageDigitalSignature {
				t.Errorf("leaf: IsCA=%v KeyUsage=%v", s.Leaf.IsCA, s.Leaf.KeyUsage)
			}
			if !s.Root.IsCA || s.Root.KeyUsage&x509.KeyUsageCertSign == 0 {
				t.Errorf("root: IsCA=%v KeyUsage=%v", s.Root.IsCA, s.Root.KeyUsage)
			}
			if s.Leaf.Subject.String() != subject.String() {
				t.Errorf("leaf subject = %s, want %s", s.Leaf.Subject, subject)
			}
		})
	}
}

func TestGenerateValidity(t *testing.T) {
	start := time.Now()
	s, err := Generate(subject, 48*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	// Backdated for clock skew, the validity still counting from now.
	if got := start.Sub(s.Leaf.NotBefore); got < clockSkew-time.Second || got > clockSkew+time.Minute {
		t.Errorf("leaf valid from %s before generation, want about %s", got, clockSkew)
	}
	if got := s.Leaf.NotAfter.Sub(start); got < 48*time.Hour-time.Minute || got > 48*time.Hour+time.Second {
		t.Errorf("leaf valid until %s after generation, want 48h", got)
	}
	fixed := time.Now().Add(-time.Hour).Truncate(time.Second)
	s, err = New(Options{Subject: subject, NotBefore: fixed, Validity: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Leaf.NotBefore.Equal(fixed) || s.Leaf.NotAfter.Sub(fixed) != 2*time.Hour {
		t.Errorf("leaf valid %s to %s, want %s for 2h", s.Leaf.NotBefore, s.Leaf.NotAfter, fixed)
	}
	if !s.Root.NotAfter.After(s.Leaf.NotAfter) {
		t.Error("root expires before the leaf")
	}
	if _, err := Generate(pkix.Name{}, 0); err == nil {
		t.Error("Generate accepted a subject without CN")
	}
	if _, err := New(Options{Subject: subject, KeyType: "rsa-1024"}); err == nil {
		t.Error("New accepted rsa-1024")
	}
}

func TestWrite(t *testing.T) {
	s, err := Generate(subject, 0)
	if err != nil {
		t.Fatal(err)
	}
	prefix := filepath.Join(t.TempDir(), "release")
	f, err := s.Write(prefix)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(f.Key)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", f.Key, fi.Mode().Perm())
	}
	key := readPEM(t, f.Key)
	if len(key) != 1 || key[0].Type != "PRIVATE KEY" {
		t.Fatalf("%s: want one PKCS#8 PRIVATE KEY block", f.Key)
	}
	if _, err := x509.ParsePKCS8PrivateKey(key[0].Bytes); err != nil {
		t.Errorf("%s: %v", f.Key, err)
	}
	chain, err := corex509.ReadCertificateFile(f.Cert)
	if err != nil {
		t.Fatal(err)
	}
	if len(chain) != 2 || !chain[0].Equal(s.Leaf) || !chain[1].Equal(s.Root) {
		t.Errorf("%s does not hold the leaf then the root", f.Cert)
	}
	roots, err := corex509.ReadCertificateFile(f.CA)
	if err != nil {
		t.Fatal(err)
	}
	if len(roots) != 1 || !roots[0].Equal(s.Root) {
		t.Errorf("%s does not hold the root alone", f.CA)
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(prefix), ".*tmp*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

func TestWriteRefusesToOverwrite(t *testing.T) {
	s, err := Generate(subject, 0)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	prefix := filepath.Join(dir, "release")
	existing := []byte("keep me")
	if err := os.WriteFile(prefix+"-ca.crt", existing, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = s.Write(prefix)
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("Write over an existing file: err = %v, want 'already exists'", err)
	}
	for _, p := range []string{prefix + ".key", prefix + ".crt"} {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s was written although Write failed", p)
		}
	}
	if got, _ := os.ReadFile(prefix + "-ca.crt"); !bytes.Equal(got, existing) {
		t.Error("the existing file was changed")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries after a failed write, want 1", len(entries))
	}
}

func TestWriteCSR(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "release")
	f, err := WriteCSR(prefix, subject, KeyRSA3072)
	if err != nil {
		t.Fatal(err)
	}
	blocks := readPEM(t, f.CSR)
	if len(blocks) != 1 || blocks[0].Type != "CERTIFICATE REQUEST" {
		t.Fatalf("%s: want one CERTIFICATE REQUEST block", f.CSR)
	}
	csr, err := x509.ParseCertificateRequest(blocks[0].Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if err := csr.CheckSignature(); err != nil {
		t.Errorf("CSR signature: %v", err)
	}
	if csr.Subject.String() != subject.String() {
		t.Errorf("CSR subject = %s, want %s", csr.Subject, subject)
	}
	var ku, eku bool
	for _, e := range csr.Extensions {
		ku = ku || (e.Id.Equal(oidKeyUsage) && e.Critical)
		eku = eku || e.Id.Equal(oidExtKeyUsage)
	}
	if !ku || !eku {
		t.Errorf("CSR requests keyUsage (critical): %v, extKeyUsage: %v", ku, eku)
	}
	if _, err := WriteCSR(prefix, subject, ""); err == nil {
		t.Error("WriteCSR overwrote existing files")
	}
}

func TestParseSubject(t *testing.T) {
	tests := []struct {
		in      string
		want    string // pkix.Name.String() of the result
		wantErr string
	}{
		{in: "CN=release,O=Acme", want: "CN=release,O=Acme"},
		{in: "CN=release, O=Acme, L=Seattle, ST=WA, C=US", want: "CN=release,O=Acme,L=Seattle,ST=WA,C=US"},
		{in: "CN=a\\,b,O=Acme,S=WA", want: "CN=a\\,b,O=Acme,ST=WA"},
		{in: "", wantErr: "empty"},
		{in: "O=Acme", wantErr: "no CN"},
		{in: "CN=x,CN=y", wantErr: "more than once"},
		{in: "CN=x,E=me@example.com", wantErr: "unsupported attribute type"},
		{in: "CN=x,C=USA", wantErr: "two-letter"},
		{in: "CN=x+O=y", wantErr: "multi-valued"},
		{in: "not a dn", wantErr: "not a distinguished name"},
		{in: "CN=", wantErr: "CN is empty"},
	}
	for _, tt := range tests {
		got, err := ParseSubject(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseSubject(%q) err = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseSubject(%q): %v", tt.in, err)
			continue
		}
		if s := got.String(); s != tt.want {
			t.Errorf("ParseSubject(%q) = %s, want %s", tt.in, s, tt.want)
		}
	}
}

func FuzzParseSubject(f *testing.F) {
	f.Add("CN=release,O=Acme,L=Seattle,ST=WA,C=US")
	f.Add("CN=a\\,b")
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSubject(s)
		if err == nil && n.CommonName == "" {
			t.Errorf("ParseSubject(%q) accepted a subject without CN", s)
		}
	})
}

func readPEM(t *testing.T, path string) []*pem.Block {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []*pem.Block
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return out
		}
		out = append(out, blk)
	}
}
