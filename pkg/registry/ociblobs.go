package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// errBlobUnknown is the error ggcr's registry answers 404 Blob Unknown
// for; any other error from a blob handler becomes a 500, which clients
// retry. ggcr does not export it, but its in-memory handler returns it for
// a blob it lacks.
var errBlobUnknown = func() error {
	_, err := ggcrregistry.NewInMemoryBlobHandler().Get(context.Background(), "", v1.Hash{})
	return err
}()

// layoutBlobs serves the blobs of a layout's repository from disk, read
// only: it implements neither ggcr's BlobPutHandler nor its
// BlobDeleteHandler, so the registry refuses uploads and deletes.
type layoutBlobs struct {
	dir    string
	repo   string
	logger *slog.Logger
}

// Stat returns the size of the blob h.
func (b *layoutBlobs) Stat(ctx context.Context, repo string, h v1.Hash) (int64, error) {
	f, fi, err := b.open(ctx, repo, h)
	if err != nil {
		return 0, err
	}
	_ = f.Close()
	return fi.Size(), nil
}

// Get returns the content of the blob h. Reading it fails, before its last
// bytes are handed out, if the content does not match h; the failure also
// aborts the response the read is for, when ctx says how.
func (b *layoutBlobs) Get(ctx context.Context, repo string, h v1.Hash) (io.ReadCloser, error) {
	f, fi, err := b.open(ctx, repo, h)
	if err != nil {
		return nil, err
	}
	abort := abortFrom(ctx)
	fail := func(err error) {
		b.logger.WarnContext(ctx, "layout: blob refused", "digest", h.String(), "error", err)
		abort(err)
	}
	return &verifyingReader{f: f, size: fi.Size(), want: h, hash: sha256.New(), fail: fail}, nil
}

// open opens the blob h of the layout's repository. A blob that is
// missing, or refused because it is not a regular file in the layout, is
// errBlobUnknown.
func (b *layoutBlobs) open(ctx context.Context, repo string, h v1.Hash) (
	*os.File, os.FileInfo, error,
) {
	if repo != b.repo {
		return nil, nil, errBlobUnknown
	}
	p, err := blobPath(h)
	if err != nil {
		b.logger.WarnContext(ctx, "layout: blob refused", "digest", h.String(), "error", err)
		return nil, nil, fmt.Errorf("%w: %w", errBlobUnknown, err)
	}
	root, err := os.OpenRoot(b.dir)
	if err != nil {
		return nil, nil, fmt.Errorf("opening layout: %w", err)
	}
	defer root.Close()
	f, fi, err := openRegular(root, p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil, fmt.Errorf("%w: %w", errBlobUnknown, err)
	case err != nil:
		b.logger.WarnContext(ctx, "layout: blob refused", "digest", h.String(), "error", err)
		return nil, nil, fmt.Errorf("%w: %w", errBlobUnknown, err)
	}
	return f, fi, nil
}

// blobPath returns where the layout keeps the blob h, relative to the
// layout's directory. Only sha256 digests of 64 lower-case hex digits are
// accepted, so the path cannot leave blobs/sha256.
func blobPath(h v1.Hash) (string, error) {
	if h.Algorithm != "sha256" {
		return "", fmt.Errorf("digest %s: only sha256 is supported", h)
	}
	if len(h.Hex) != 2*sha256.Size || !isLowerHex(h.Hex) {
		return "", fmt.Errorf("digest %s: not %d lower-case hex digits", h, 2*sha256.Size)
	}
	return filepath.Join("blobs", h.Algorithm, h.Hex), nil
}

func isLowerHex(s string) bool {
	for _, c := range []byte(s) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// openRegular opens name in root, refusing anything but a regular file:
// symbolic links, directories, devices, and a file swapped for another
// between the check and the open.
func openRegular(root *os.Root, name string) (*os.File, os.FileInfo, error) {
	li, err := root.Lstat(name)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case li.Mode()&fs.ModeSymlink != 0:
		return nil, nil, fmt.Errorf("%s is a symbolic link", name)
	case !li.Mode().IsRegular():
		return nil, nil, fmt.Errorf("%s is not a regular file", name)
	}
	f, err := root.Open(name)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil || !os.SameFile(li, fi) {
		_ = f.Close()
		return nil, nil, fmt.Errorf("%s changed while being opened", name)
	}
	return f, fi, nil
}

// readLayoutFile reads the regular file name in root, of at most limit
// bytes.
func readLayoutFile(root *os.Root, name string, limit int64) ([]byte, error) {
	f, fi, err := openRegular(root, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi.Size() > limit {
		return nil, fmt.Errorf("%s is %d bytes, limit %d", name, fi.Size(), limit)
	}
	raw, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if int64(len(raw)) > limit {
		return nil, fmt.Errorf("%s is more than %d bytes", name, limit)
	}
	return raw, nil
}

// verifyingReader reads a blob file and checks it against its digest
// before it returns the bytes that complete it, so a reader never gets the
// whole of a blob that does not match.
type verifyingReader struct {
	f    *os.File
	size int64 // the file's size when it was opened
	want v1.Hash
	hash hash.Hash
	read int64
	fail func(error)
	err  error // returned by every Read once set
}

func (r *verifyingReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	n, err := r.f.Read(p)
	r.hash.Write(p[:n])
	r.read += int64(n)
	switch {
	case r.read < r.size && errors.Is(err, io.EOF):
		return 0, r.refuse(fmt.Errorf("blob %s is shorter than its %d bytes", r.want, r.size))
	case r.read < r.size:
		return n, err
	case r.read > r.size:
		return 0, r.refuse(fmt.Errorf("blob %s grew while being read", r.want))
	}
	if got := hex.EncodeToString(r.hash.Sum(nil)); got != r.want.Hex {
		return 0, r.refuse(fmt.Errorf(
			"blob %s does not match its digest: its content hashes to sha256:%s", r.want, got))
	}
	r.err = io.EOF
	return n, nil
}

func (r *verifyingReader) refuse(err error) error {
	err = fmt.Errorf("%w: %w", ErrCorruptLayout, err)
	r.err = err
	r.fail(err)
	return err
}

func (r *verifyingReader) Close() error { return r.f.Close() }

// abortKey is the context key of the function that aborts the response to
// an in-process request.
type abortKey struct{}

func withAbort(ctx context.Context, abort func(error)) context.Context {
	return context.WithValue(ctx, abortKey{}, abort)
}

// abortFrom returns the abort function ctx carries, or one that does
// nothing.
func abortFrom(ctx context.Context) func(error) {
	if f, ok := ctx.Value(abortKey{}).(func(error)); ok {
		return f
	}
	return func(error) {}
}
