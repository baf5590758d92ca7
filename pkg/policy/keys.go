package policy

import (
	"crypto"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/cryptoutils/goodkey"
)

// maxKeyFileSize bounds what is read from a key file; a PEM public key is
// a few hundred bytes, an RSA 4096 one under a kilobyte.
const maxKeyFileSize = 64 << 10

// resolve makes a key path from the policy relative to the policy file's
// directory.
func (d *decoder) resolve(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(d.dir, p)
}

// readPublicKey reads and parses a PEM public key file and checks that the
// key is one sigstore accepts for signing.
func readPublicKey(file string) (crypto.PublicKey, error) {
	data, err := readKeyFile(file)
	if err != nil {
		return nil, err
	}
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(data)
	if err != nil {
		return nil, fmt.Errorf("parsing public key: %w", err)
	}
	if err := goodkey.ValidatePubKey(pub); err != nil {
		return nil, fmt.Errorf("checking public key: %w", err)
	}
	return pub, nil
}

// readKeyFile reads a key file of bounded size, so that a policy cannot
// make the loader block on a device or a pipe.
func readKeyFile(file string) ([]byte, error) {
	return readBounded(file, maxKeyFileSize)
}

// readBounded reads a regular file of at most limit bytes.
func readBounded(file string, limit int64) ([]byte, error) {
	info, err := os.Stat(file)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", file)
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", file, limit)
	}
	return data, nil
}
