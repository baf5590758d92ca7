package bundle

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

// Defaults of Limits.
const (
	DefaultMaxSize    = 8 << 30
	DefaultMaxEntries = 100000
)

// Limits bound what reading a bundle may cost: a crafted bundle must not
// exhaust memory or disk. The zero value applies the defaults.
type Limits struct {
	// MaxSize bounds the bytes a tar bundle unpacks to, and the bytes of
	// the blobs a bundle directory's manifests reference; zero means
	// DefaultMaxSize.
	MaxSize int64
	// MaxEntries bounds the entries of a tar bundle; zero means
	// DefaultMaxEntries.
	MaxEntries int
	// MaxEntrySize bounds each file of a tar bundle; zero means MaxSize.
	MaxEntrySize int64
}

func (l Limits) withDefaults() Limits {
	if l.MaxSize <= 0 {
		l.MaxSize = DefaultMaxSize
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultMaxEntries
	}
	if l.MaxEntrySize <= 0 || l.MaxEntrySize > l.MaxSize {
		l.MaxEntrySize = l.MaxSize
	}
	return l
}

// extractor unpacks a tar bundle into a directory of its own, refusing
// every entry that is not a plain file or directory of an OCI image
// layout, and checking every blob against its digest as it is written.
type extractor struct {
	root    *os.Root
	limits  Limits
	entries int
	total   int64
	seen    map[string]bool
}

// extract unpacks the tar file src into the empty directory dir.
func extract(src, dir string, limits Limits) error {
	f, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("opening bundle: %w", err)
	}
	defer f.Close()
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	x := &extractor{root: root, limits: limits.withDefaults(), seen: map[string]bool{}}
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: reading %s: %w", ErrCorrupt, src, err)
		}
		if err := x.entry(hdr, tr); err != nil {
			return fmt.Errorf("%w: %s: entry %q: %w", ErrCorrupt, src, hdr.Name, err)
		}
	}
}

func (x *extractor) entry(hdr *tar.Header, r io.Reader) error {
	x.entries++
	if x.entries > x.limits.MaxEntries {
		return fmt.Errorf("more than %d entries", x.limits.MaxEntries)
	}
	if hdr.Typeflag == tar.TypeDir && (hdr.Name == "./" || hdr.Name == ".") {
		return nil
	}
	name, err := layoutName(strings.TrimPrefix(hdr.Name, "./"), hdr.Typeflag == tar.TypeDir)
	if err != nil {
		return err
	}
	if x.seen[name] {
		return errors.New("appears twice")
	}
	x.seen[name] = true
	switch hdr.Typeflag {
	case tar.TypeDir:
		return x.root.MkdirAll(name, 0o755)
	case tar.TypeReg:
		return x.file(name, hdr.Size, r)
	case tar.TypeSymlink, tar.TypeLink:
		return fmt.Errorf("is a link to %q; a bundle holds plain files only", hdr.Linkname)
	}
	return fmt.Errorf("has type %q; a bundle holds plain files and directories only", hdr.Typeflag)
}

// layoutName checks that name is one an OCI image layout of sha256 blobs
// holds, relative and clean, and returns it without a trailing slash.
// (Tar's own "./" prefix is removed before.)
func layoutName(name string, dir bool) (string, error) {
	clean := strings.TrimSuffix(name, "/")
	switch {
	case clean == "" || strings.HasPrefix(name, "/") || strings.Contains(name, `\`):
		return "", errors.New("is not a relative slash-separated path")
	case path.Clean(clean) != clean || strings.HasPrefix(clean, "../") || clean == "..":
		return "", errors.New("is not a clean path inside the bundle")
	}
	switch {
	case dir && (clean == "blobs" || clean == "blobs/sha256"):
		return clean, nil
	case !dir && (clean == "oci-layout" || clean == "index.json"):
		return clean, nil
	case !dir && isBlobName(clean):
		return clean, nil
	}
	return "", errors.New("is not part of an OCI image layout of sha256 blobs")
}

func isBlobName(name string) bool {
	hexPart, ok := strings.CutPrefix(name, "blobs/sha256/")
	if !ok || len(hexPart) != 2*sha256.Size {
		return false
	}
	_, err := hex.DecodeString(hexPart)
	return err == nil && strings.ToLower(hexPart) == hexPart
}

// file writes a regular file of size bytes from r, checking a blob's
// digest before it is kept.
func (x *extractor) file(name string, size int64, r io.Reader) error {
	switch {
	case size > x.limits.MaxEntrySize:
		return fmt.Errorf("is %d bytes, limit %d", size, x.limits.MaxEntrySize)
	case x.total+size > x.limits.MaxSize:
		return fmt.Errorf("makes the bundle more than %d bytes", x.limits.MaxSize)
	}
	x.total += size
	if err := x.root.MkdirAll(path.Dir(name), 0o755); err != nil {
		return err
	}
	f, err := x.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	hash := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, hash), io.LimitReader(r, size))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		return err
	case n != size:
		return fmt.Errorf("ends after %d of its %d bytes", n, size)
	}
	if hexPart, ok := strings.CutPrefix(name, "blobs/sha256/"); ok {
		if got := hex.EncodeToString(hash.Sum(nil)); got != hexPart {
			_ = x.root.Remove(name)
			return fmt.Errorf("blob sha256:%s does not match its digest: its content hashes to sha256:%s",
				hexPart, got)
		}
	}
	return nil
}
