package cosign

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

func TestGenerateKeyPairLoadsAndSigns(t *testing.T) {
	priv, pub, err := GenerateKeyPair([]byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	if block, _ := pem.Decode(priv); block == nil || block.Type != "ENCRYPTED SIGSTORE PRIVATE KEY" {
		t.Fatalf("private key PEM = %q, want an ENCRYPTED SIGSTORE PRIVATE KEY block", priv)
	}
	if block, _ := pem.Decode(pub); block == nil || block.Type != "PUBLIC KEY" {
		t.Fatalf("public key PEM = %q, want a PUBLIC KEY block", pub)
	}
	sv, err := LoadPrivateKey(priv, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := LoadPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("vouch")
	sig, err := sv.SignMessage(bytes.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	if err := v.VerifySignature(bytes.NewReader(sig), bytes.NewReader(msg)); err != nil {
		t.Errorf("signature by the generated private key does not verify with its public key: %v", err)
	}
	if err := v.VerifySignature(bytes.NewReader(sig), bytes.NewReader([]byte("other"))); err == nil {
		t.Error("signature verifies over a different message")
	}
}

// TestLoadCorpusKey loads a key that cosign itself wrote (empty password).
func TestLoadCorpusKey(t *testing.T) {
	key := readFile(t, "testdata/policy-controller-example.cosign.key")
	sv, err := LoadPrivateKey(key, nil)
	if err != nil {
		t.Fatalf("LoadPrivateKey(cosign-written key, empty password): %v", err)
	}
	got, err := sv.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := readFile(t, "testdata/policy-controller-example.cosign.pub")
	want, err := cryptoutils.UnmarshalPEMToPublicKey(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	if err := cryptoutils.EqualKeys(got, want); err != nil {
		t.Errorf("loaded key is not the one whose public half the corpus ships: %v", err)
	}
}

func TestLoadPrivateKeyRefusals(t *testing.T) {
	sigstoreKey, _, err := GenerateKeyPair([]byte("right"))
	if err != nil {
		t.Fatal(err)
	}
	cosignKey := readFile(t, "testdata/policy-controller-example.cosign.key")
	tests := []struct {
		name      string
		key       []byte
		password  string
		wrongPass bool
		wantMsg   string
	}{
		{"wrong password", sigstoreKey, "wrong", true, "wrong password"},
		{"empty instead of password", sigstoreKey, "", true, "wrong password"},
		{"password on a key that has none", cosignKey, "x", true, "wrong password"},
		{"not PEM", []byte("not a key"), "", false, "no PEM block"},
		{"unencrypted EC key", ecPEM(t), "", false, "cosign import-key-pair"},
		{"public key", readFile(t, "testdata/containers-image.cosign.pub"), "", false, `"PUBLIC KEY"`},
		{"encrypted block not JSON", pem.EncodeToMemory(&pem.Block{
			Type: "ENCRYPTED SIGSTORE PRIVATE KEY", Bytes: []byte("garbage"),
		}), "", false, "decrypt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadPrivateKey(tt.key, []byte(tt.password))
			if err == nil {
				t.Fatal("LoadPrivateKey succeeded, want an error")
			}
			if got := errors.Is(err, ErrWrongPassword); got != tt.wrongPass {
				t.Errorf("errors.Is(%v, ErrWrongPassword) = %v, want %v", err, got, tt.wrongPass)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not mention %q", err, tt.wantMsg)
			}
		})
	}
}

func ecPEM(t *testing.T) []byte {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
}

func TestLoadPublicKey(t *testing.T) {
	tests := []struct {
		name    string
		pem     []byte
		wantErr bool
	}{
		{"cosign public key", readFile(t, "testdata/containers-image.cosign.pub"), false},
		{"not PEM", []byte("nope"), true},
		{"private key", readFile(t, "testdata/policy-controller-example.cosign.key"), true},
		{"empty", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := LoadPublicKey(tt.pem)
			if (err != nil) != tt.wantErr {
				t.Fatalf("LoadPublicKey error = %v, want error: %v", err, tt.wantErr)
			}
			if err == nil && v == nil {
				t.Fatal("LoadPublicKey returned no verifier and no error")
			}
		})
	}
}

func TestWriteKeyPair(t *testing.T) {
	dir := t.TempDir()
	prefix := filepath.Join(dir, "release")
	keyPath, pubPath, err := WriteKeyPair(prefix, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	if keyPath != prefix+".key" || pubPath != prefix+".pub" {
		t.Errorf("paths = %s, %s; want %s.key, %s.pub", keyPath, pubPath, prefix, prefix)
	}
	for path, mode := range map[string]os.FileMode{keyPath: 0o600, pubPath: 0o644} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s mode = %v, want %v", path, fi.Mode().Perm(), mode)
		}
	}
	key := readFile(t, keyPath)
	if _, err := LoadPrivateKey(key, []byte("pw")); err != nil {
		t.Errorf("written key does not load: %v", err)
	}
	pub := readFile(t, pubPath)

	if _, _, err := WriteKeyPair(prefix, []byte("pw")); !errors.Is(err, ErrExists) {
		t.Fatalf("second WriteKeyPair error = %v, want ErrExists", err)
	}
	if !bytes.Equal(readFile(t, keyPath), key) || !bytes.Equal(readFile(t, pubPath), pub) {
		t.Error("refused WriteKeyPair changed the existing files")
	}
	assertOnlyFiles(t, dir, "release.key", "release.pub")
}

// TestWriteKeyPairEitherFileExists checks that an existing file of either
// name stops the write and that the other file is then not written.
func TestWriteKeyPairEitherFileExists(t *testing.T) {
	for _, existing := range []string{"k.key", "k.pub"} {
		t.Run(existing, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, existing), []byte("keep"), 0o600); err != nil {
				t.Fatal(err)
			}
			_, _, err := WriteKeyPair(filepath.Join(dir, "k"), nil)
			if !errors.Is(err, ErrExists) {
				t.Fatalf("error = %v, want ErrExists", err)
			}
			if !strings.Contains(err.Error(), existing) {
				t.Errorf("error %q does not name %s", err, existing)
			}
			assertOnlyFiles(t, dir, existing)
		})
	}
}

func TestWriteKeyPairMissingDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "absent")
	if _, _, err := WriteKeyPair(filepath.Join(dir, "k"), nil); err == nil {
		t.Fatal("WriteKeyPair into a missing directory succeeded")
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("WriteKeyPair created %s", dir)
	}
}

// assertOnlyFiles fails unless dir holds exactly the named files (no
// temporary file left behind).
func assertOnlyFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Errorf("%s holds %q, want %q", dir, got, names)
	}
}
