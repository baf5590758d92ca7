package sigstore

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"
)

func TestSignBlobKeyOnly(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for name, priv := range map[string]crypto.Signer{"ECDSA": ec, "RSA": rsaKey} {
		t.Run(name, func(t *testing.T) {
			sv, err := signature.LoadDefaultSignerVerifier(priv)
			if err != nil {
				t.Fatal(err)
			}
			signAndCheck(t, sv)
		})
	}
}

// signAndCheck signs a blob with sv, writes and reloads the bundle, and
// checks its signature with sigstore-go, then that Verify refuses it for
// proving no time.
func signAndCheck(t *testing.T, sv signature.SignerVerifier) {
	t.Helper()
	artifact := []byte("a release tarball")
	b, err := SignBlob(context.Background(), bytes.NewReader(artifact), SignOptions{Signer: sv})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "b.sigstore.json")
	if err := WriteBundle(path, b); err != nil {
		t.Fatal(err)
	}
	if err := WriteBundle(path, b); !errors.Is(err, ErrExists) {
		t.Errorf("second WriteBundle: %v, want ErrExists", err)
	}
	if err := WriteBundle(path+".2", nil); !errors.Is(err, ErrInput) {
		t.Errorf("WriteBundle(nil): %v, want ErrInput", err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("directory holds %d files, want the bundle alone", len(entries))
	}
	loaded, err := LoadBundle(path)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, nil, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{TrustedRoot: tr, Key: sv, Artifact: bytes.NewReader(artifact)}
	v, err := verify.NewVerifier(trustedMaterial(opts), verify.WithNoObserverTimestamps())
	if err != nil {
		t.Fatal(err)
	}
	policy := verify.NewPolicy(verify.WithArtifact(bytes.NewReader(artifact)), verify.WithKey())
	if _, err := v.Verify(loaded, policy); err != nil {
		t.Errorf("signature does not verify: %v", err)
	}
	// With neither a log entry nor a timestamp, Verify refuses a
	// key-signed bundle, as cosign does.
	_, err = Verify(context.Background(), loaded, opts)
	var verdict *VerificationError
	if !errors.As(err, &verdict) || verdict.Check != CheckTlog {
		t.Errorf("Verify: %v, want a transparency log verdict", err)
	}
}

func TestSignBlobRefusedSigners(t *testing.T) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ed, err := signature.LoadED25519phSignerVerifier(priv)
	if err != nil {
		t.Fatal(err)
	}
	for name, sv := range map[string]signature.SignerVerifier{"none": nil, "Ed25519": ed} {
		_, err := SignBlob(context.Background(), bytes.NewReader(nil), SignOptions{Signer: sv})
		if !errors.Is(err, ErrInput) {
			t.Errorf("%s: %v, want ErrInput", name, err)
		}
	}
}
