package bundle

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// blobName returns where a layout keeps the blob h, refusing digests that
// are not 64 lower-case hex digits of sha256, so the name cannot leave
// blobs/sha256.
func blobName(h v1.Hash) (string, error) {
	name := path.Join("blobs", h.Algorithm, h.Hex)
	if h.Algorithm != "sha256" || !isBlobName(name) {
		return "", fmt.Errorf("%w: digest %s: only sha256 digests of 64 lower-case hex digits "+
			"are supported", ErrCorrupt, h)
	}
	return name, nil
}

// statBlob returns the size of the blob h in root: fs.ErrNotExist when it
// is missing, an error when it is anything but a regular file.
func statBlob(root *os.Root, h v1.Hash) (int64, error) {
	name, err := blobName(h)
	if err != nil {
		return 0, err
	}
	fi, err := root.Lstat(name)
	if err != nil {
		return 0, err
	}
	if !fi.Mode().IsRegular() {
		return 0, fmt.Errorf("%w: blob %s is not a regular file", ErrCorrupt, h)
	}
	return fi.Size(), nil
}

// openRegular opens name in root, refusing anything but a regular file,
// and a file swapped for another between the check and the open.
func openRegular(root *os.Root, name string) (*os.File, error) {
	li, err := root.Lstat(name)
	if err != nil {
		return nil, err
	}
	if !li.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrCorrupt, name)
	}
	f, err := root.Open(name)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil || !os.SameFile(li, fi) {
		_ = f.Close()
		return nil, fmt.Errorf("%w: %s changed while being opened", ErrCorrupt, name)
	}
	return f, nil
}

// readFile reads the regular file name in root, of at most limit bytes.
func readFile(root *os.Root, name string, limit int64) ([]byte, error) {
	f, err := openRegular(root, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if int64(len(raw)) > limit {
		return nil, fmt.Errorf("%w: %s is more than %d bytes", ErrCorrupt, name, limit)
	}
	return raw, nil
}

// readBlob reads the blob desc describes from the layout in dir, checked
// against its size, its digest and limit.
func readBlob(dir string, desc v1.Descriptor, limit int64) ([]byte, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	return readRootBlob(root, desc, limit)
}

func readRootBlob(root *os.Root, desc v1.Descriptor, limit int64) ([]byte, error) {
	if desc.Size < 0 || desc.Size > limit {
		return nil, fmt.Errorf("%w: blob %s is %d bytes, limit %d",
			ErrCorrupt, desc.Digest, desc.Size, limit)
	}
	name, err := blobName(desc.Digest)
	if err != nil {
		return nil, err
	}
	raw, err := readFile(root, name, desc.Size)
	if err != nil {
		return nil, missing(desc.Digest, err)
	}
	if err := checkDigest(desc, bytes.NewReader(raw)); err != nil {
		return nil, err
	}
	return raw, nil
}

// missing names the blob h in an error reading it.
func missing(h v1.Hash, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: blob %s is missing from the bundle", ErrCorrupt, h)
	}
	return err
}

// checkDigest reads r whole and checks it against desc's size and digest.
func checkDigest(desc v1.Descriptor, r io.Reader) error {
	hash := sha256.New()
	n, err := io.Copy(hash, r)
	if err != nil {
		return fmt.Errorf("reading blob %s: %w", desc.Digest, err)
	}
	if n != desc.Size {
		return fmt.Errorf("%w: blob %s is %d bytes, but is listed with size %d",
			ErrCorrupt, desc.Digest, n, desc.Size)
	}
	if got := hex.EncodeToString(hash.Sum(nil)); got != desc.Digest.Hex {
		return fmt.Errorf("%w: blob %s does not match its digest: its content hashes to sha256:%s",
			ErrCorrupt, desc.Digest, got)
	}
	return nil
}

// verifyBlob checks the blob desc describes in root against its digest,
// reading it as a stream.
func verifyBlob(root *os.Root, desc v1.Descriptor) error {
	name, err := blobName(desc.Digest)
	if err != nil {
		return err
	}
	f, err := openRegular(root, name)
	if err != nil {
		return missing(desc.Digest, err)
	}
	defer f.Close()
	return checkDigest(desc, io.LimitReader(f, desc.Size+1))
}
