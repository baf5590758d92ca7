package sigstore

import (
	"crypto"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

// ErrInput marks an input that cannot be read or parsed: a bundle, a
// trusted root, a key or a digest. Callers treat it as bad usage, not as
// a verification verdict.
var ErrInput = errors.New("bad input")

func inputErr(what string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrInput, what, err)
}

// LoadBundle reads a Sigstore bundle in its JSON form and checks that it
// is well formed for its version.
func LoadBundle(path string) (*bundle.Bundle, error) {
	b, err := bundle.LoadJSONFromPath(path)
	if err != nil {
		return nil, inputErr("reading bundle "+path, err)
	}
	return b, nil
}

// LoadTrustedRoot reads a trusted_root.json file.
func LoadTrustedRoot(path string) (*root.TrustedRoot, error) {
	tr, err := root.NewTrustedRootFromPath(path)
	if err != nil {
		return nil, inputErr("reading trusted root "+path, err)
	}
	return tr, nil
}

// LoadPublicKey reads a PEM public key file and returns a verifier with
// the key type's default signature algorithm.
func LoadPublicKey(path string) (signature.Verifier, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, inputErr("reading key", err)
	}
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(data)
	if err != nil {
		return nil, inputErr("parsing key "+path, err)
	}
	v, err := signature.LoadDefaultVerifier(pub)
	if err != nil {
		return nil, inputErr("loading key "+path, err)
	}
	return v, nil
}

// Digest is an artifact's digest, for verifying a bundle without the
// artifact at hand.
type Digest struct {
	Algorithm string // sha256, sha384 or sha512
	Value     []byte
}

var digestSizes = map[string]crypto.Hash{
	"sha256": crypto.SHA256, "sha384": crypto.SHA384, "sha512": crypto.SHA512,
}

// ParseDigest parses "sha256:<hex>" (or sha384, sha512).
func ParseDigest(s string) (Digest, error) {
	alg, hexValue, ok := strings.Cut(s, ":")
	h, known := digestSizes[alg]
	if !ok || !known {
		return Digest{}, inputErr("digest "+s, errors.New("want sha256:, sha384: or sha512: and hex"))
	}
	v, err := hex.DecodeString(hexValue)
	if err != nil || len(v) != h.Size() {
		return Digest{}, inputErr("digest "+s, fmt.Errorf("want %d hex digits for %s", 2*h.Size(), alg))
	}
	return Digest{Algorithm: alg, Value: v}, nil
}

// PublicTrustedRoot returns the public Sigstore instance's trusted root
// through TUF, as sigstore-go's default client keeps it: cached under
// ~/.sigstore/root and refreshed when the TUF metadata says so.
func PublicTrustedRoot() (*root.TrustedRoot, error) {
	tr, err := root.FetchTrustedRoot()
	if err != nil {
		return nil, fmt.Errorf("fetching the public Sigstore trusted root through TUF: %w", err)
	}
	return tr, nil
}
