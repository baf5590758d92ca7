package cosign

import (
	"crypto"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

var (
	// ErrExists is returned by WriteKeyPair when the key or public key file is
	// already there.
	ErrExists = errors.New("key file already exists")

	// ErrWrongPassword is returned by LoadPrivateKey when the private key does
	// not decrypt with the password given.
	ErrWrongPassword = errors.New("wrong password for private key")
)

// decryptionFailed is the message go-securesystemslib's encrypted package
// gives, with no error value to match, when the secretbox does not open:
// the password is wrong (or the ciphertext was altered).
const decryptionFailed = "encrypted: decryption failed"

// GenerateKeyPair generates an ECDSA P-256 key pair with cosign. privPEM is the
// private key encrypted with password, in the "ENCRYPTED SIGSTORE PRIVATE KEY"
// PEM format that cosign reads; pubPEM is the PKIX public key in PEM.
func GenerateKeyPair(password []byte) (privPEM, pubPEM []byte, err error) {
	keys, err := cosign.GenerateKeyPair(func(bool) ([]byte, error) {
		return password, nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("generating key pair: %w", err)
	}
	return keys.PrivateBytes, keys.PublicBytes, nil
}

// WriteKeyPair generates a key pair and writes prefix.key (mode 0600) and
// prefix.pub (mode 0644), the names cosign generate-key-pair uses. It refuses
// with ErrExists if either file exists, and then writes neither. Each file is
// written to a temporary file first and linked into place, which fails rather
// than replaces when the name was taken in the meantime, so no partial or
// overwritten key file is ever left behind.
func WriteKeyPair(prefix string, password []byte) (keyPath, pubPath string, err error) {
	keyPath, pubPath = prefix+".key", prefix+".pub"
	for _, p := range []string{keyPath, pubPath} {
		if _, err := os.Lstat(p); err == nil {
			return "", "", fmt.Errorf("writing key pair: %s: %w", p, ErrExists)
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", "", fmt.Errorf("writing key pair: %w", err)
		}
	}
	priv, pub, err := GenerateKeyPair(password)
	if err != nil {
		return "", "", err
	}
	if err := writeNew(keyPath, priv, 0o600); err != nil {
		return "", "", fmt.Errorf("writing private key: %w", err)
	}
	if err := writeNew(pubPath, pub, 0o644); err != nil {
		_ = os.Remove(keyPath)
		return "", "", fmt.Errorf("writing public key: %w", err)
	}
	return keyPath, pubPath, nil
}

// writeNew writes data to path with mode perm, failing with ErrExists when
// path exists. The content is complete and synced before the name appears.
func writeNew(path string, data []byte, perm os.FileMode) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		_ = os.Remove(tmp)
	}()
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	// A hard link, unlike a rename, never replaces an existing file.
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s: %w", path, ErrExists)
		}
		return err
	}
	return nil
}

// LoadPrivateKey decrypts a cosign private key with password and returns a
// signer for it, through cosign.LoadPrivateKey. The formats are cosign's: a PEM
// block of type "ENCRYPTED SIGSTORE PRIVATE KEY" or the older "ENCRYPTED COSIGN
// PRIVATE KEY", holding a scrypt + secretbox encrypted PKCS #8 ECDSA, RSA or
// Ed25519 key (Ed25519 keys sign in Ed25519ph, as cosign does). Unencrypted
// PKCS #1, EC or PKCS #8 PEM keys are refused, as cosign refuses them: convert
// them with `cosign import-key-pair` first. A wrong password gives
// ErrWrongPassword.
func LoadPrivateKey(keyPEM, password []byte) (signature.SignerVerifier, error) {
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		return nil, errors.New("loading private key: no PEM block found")
	}
	switch block.Type {
	case cosign.SigstorePrivateKeyPemType, cosign.CosignPrivateKeyPemType:
	case cosign.ECPrivateKeyPemType, cosign.PrivateKeyPemType, cosign.RSAPrivateKeyPemType:
		return nil, fmt.Errorf("loading private key: PEM type %q is not encrypted; "+
			"convert it with cosign import-key-pair", block.Type)
	default:
		return nil, fmt.Errorf("loading private key: unsupported PEM type %q, want %q",
			block.Type, cosign.SigstorePrivateKeyPemType)
	}
	sv, err := cosign.LoadPrivateKey(keyPEM, password, nil)
	if err != nil {
		if strings.HasSuffix(err.Error(), decryptionFailed) {
			return nil, fmt.Errorf("loading private key: %w", ErrWrongPassword)
		}
		return nil, fmt.Errorf("loading private key: %w", err)
	}
	return sv, nil
}

// LoadPublicKey parses a PEM public key (PKIX, as cosign writes it) into a
// verifier using SHA-256, as cosign verify --key does.
func LoadPublicKey(pubPEM []byte) (signature.Verifier, error) {
	// What cosign's signature.LoadPublicKeyRaw does, without importing
	// that package: it links the Kubernetes, KMS and PKCS#11 key
	// providers, whose initialisation would double vouch's start-up time.
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(pubPEM)
	if err != nil {
		return nil, fmt.Errorf("loading public key: %w", err)
	}
	v, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("loading public key: %w", err)
	}
	return v, nil
}
