package bundle

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/vouchsec/vouch/pkg/registry"
	"github.com/vouchsec/vouch/verify"
)

// OpenOptions configure Open. The zero value opens vouch bundles with the
// default limits.
type OpenOptions struct {
	// Repository, when set, is the repository an OCI image layout that is
	// not a vouch bundle is served as: a layout cosign save or notation
	// wrote, say. Such a layout names no image of its own. A bundle must
	// record this same repository.
	Repository name.Repository
	// Limits bound what reading the bundle may cost.
	Limits Limits
	// Logger receives debug and warn logs; nil discards them.
	Logger *slog.Logger
}

// Bundle is a bundle opened for reading: checked, and served read-only
// under the repository its image came from. Close it to remove what Open
// unpacked. A Bundle is safe for concurrent use.
type Bundle struct {
	*contents
	dir    string
	tmp    string // removed by Close: the unpacked tar and the policy laid out
	layout *registry.Layout
	log    *slog.Logger

	mu      sync.Mutex
	source  *registry.Layout
	policy  string
	refused []string
}

// Open reads the bundle at path, a directory or a tar file, as hostile
// input. A tar file is unpacked into a temporary directory, refusing
// absolute paths, "..", links, devices and anything else that is not a
// file or directory of an OCI image layout, within opts.Limits, and
// checking each blob's digest as it is written. A directory's blobs are
// checked by reading them. Then every manifest index.json lists is read
// and checked, every blob they reference must be there (an image's
// layers only if the bundle says it holds them), and every piece of
// evidence must be about the bundle's image. Errors about the bundle's
// content wrap ErrCorrupt.
func Open(path string, opts OpenOptions) (_ *Bundle, err error) {
	b := &Bundle{log: discardNil(opts.Logger)}
	defer func() {
		if err != nil {
			_ = b.Close()
		}
	}()
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("opening bundle: %w", err)
	}
	switch {
	case fi.IsDir():
		b.dir = path
	case fi.Mode().IsRegular():
		if b.tmp, err = os.MkdirTemp("", "vouch-bundle-*"); err != nil {
			return nil, fmt.Errorf("opening bundle: %w", err)
		}
		b.dir = filepath.Join(b.tmp, "layout")
		if err := os.Mkdir(b.dir, 0o755); err != nil {
			return nil, fmt.Errorf("opening bundle: %w", err)
		}
		if err := extract(path, b.dir, opts.Limits); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("opening bundle %s: neither a directory nor a tar file", path)
	}
	c, err := inspectLimited(b.dir, opts.Repository, b.tmp == "", opts.Limits)
	if err != nil {
		return nil, fmt.Errorf("opening bundle %s: %w", path, err)
	}
	b.contents = c
	b.layout, err = registry.OpenLayout(b.dir, c.repo, registry.WithLayoutLogger(b.log))
	if err != nil {
		return nil, fmt.Errorf("opening bundle %s: %w: %w", path, ErrCorrupt, err)
	}
	return b, nil
}

// Close removes what Open unpacked and laid out. The bundle's layouts
// must not be used after.
func (b *Bundle) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tmp == "" {
		return nil
	}
	err := os.RemoveAll(b.tmp)
	b.tmp = ""
	return err
}

// Image returns the bundle's image, by digest in the repository it was
// exported from; zero for an OCI image layout that is not a bundle.
func (b *Bundle) Image() name.Digest { return b.image }

// IsImage reports whether digest is the bundle's image or one of the
// platform images of its index: what a bundle holds evidence for. Every
// digest is, for an OCI layout that is not a bundle.
func (b *Bundle) IsImage(digest string) bool {
	return b.plain || digest == b.image.DigestStr() || b.platforms[digest]
}

// Repository returns the repository the bundle is served as.
func (b *Bundle) Repository() name.Repository { return b.repo }

// Reference returns the image as it was named at export.
func (b *Bundle) Reference() string { return b.reference }

// HasLayers reports whether the bundle holds the image's layer blobs.
func (b *Bundle) HasLayers() bool { return b.layers }

// Entries returns what the bundle's index.json lists.
func (b *Bundle) Entries() []Entry { return b.entries }

// Layout returns the bundle served, read-only and in process, as the
// repository it was exported from; give it to registry.WithLayout.
func (b *Bundle) Layout() *registry.Layout { return b.layout }

// ImportHost is the registry host a bundle is served under for Import:
// one that no registry has, so that importing into the repository the
// bundle came from reads the bundle, not that repository.
const ImportHost = "bundle.vouch.invalid"

// Source returns the bundle served as ImportHost/<path of its
// repository>, for Import.
func (b *Bundle) Source() (*registry.Layout, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.source != nil {
		return b.source, nil
	}
	repo, err := name.NewRepository(ImportHost + "/" + b.repo.RepositoryStr())
	if err != nil {
		return nil, err
	}
	l, err := registry.OpenLayout(b.dir, repo, registry.WithLayoutLogger(b.log))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	b.source = l
	return l, nil
}

// Report returns the report of the verification made at export, read
// from the bundle; nil when the bundle holds none.
func (b *Bundle) Report() (*verify.Report, error) {
	e, ok := b.artifacts[KindReport]
	if !ok {
		return nil, nil
	}
	if len(e.layers) != 1 {
		return nil, fmt.Errorf("%w: the report entry holds %d files, want 1", ErrCorrupt, len(e.layers))
	}
	raw, err := readBlob(b.dir, e.layers[0], maxTrustFileSize)
	if err != nil {
		return nil, err
	}
	var rep verify.Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		return nil, fmt.Errorf("%w: reading the report: %w", ErrCorrupt, err)
	}
	return &rep, nil
}

// imageAnnotations reads the bundle's description of its image.
func (c *contents) imageAnnotations(desc v1.Descriptor, want name.Repository) error {
	ann := desc.Annotations
	repo, err := name.NewRepository(ann[AnnotationRepository])
	if err != nil {
		return fmt.Errorf("%w: the image's repository %q: %w", ErrCorrupt, ann[AnnotationRepository], err)
	}
	if want.RepositoryStr() != "" && want.Name() != repo.Name() {
		return fmt.Errorf("the bundle's image comes from %s, not %s", repo.Name(), want.Name())
	}
	layers, err := strconv.ParseBool(ann[AnnotationLayers])
	if err != nil {
		return fmt.Errorf("%w: %s %q: %w", ErrCorrupt, AnnotationLayers, ann[AnnotationLayers], err)
	}
	c.repo, c.image, c.layers = repo, repo.Digest(desc.Digest.String()), layers
	c.reference = ann[AnnotationReference]
	if err := checkReference(c.reference, repo, desc); err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return nil
}

// checkReference refuses a recorded reference that names another
// repository than the image's, or another tag than the image entry's
// ref.name, or another digest: import writes that tag.
func checkReference(ref string, repo name.Repository, desc v1.Descriptor) error {
	if ref == "" {
		return nil
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		return fmt.Errorf("the image's %s %q: %w", AnnotationReference, ref, err)
	}
	if r.Context().Name() != repo.Name() {
		return fmt.Errorf("the image's %s %q is in another repository than its %s %s",
			AnnotationReference, ref, AnnotationRepository, repo.Name())
	}
	switch r := r.(type) {
	case name.Tag:
		if tag := desc.Annotations[annotationRefName]; tag != r.TagStr() {
			return fmt.Errorf("the image's %s %q names tag %q, but its ref.name is %q",
				AnnotationReference, ref, r.TagStr(), tag)
		}
	case name.Digest:
		if r.DigestStr() != desc.Digest.String() {
			return fmt.Errorf("the image's %s %q names another digest than %s",
				AnnotationReference, ref, desc.Digest)
		}
	}
	return nil
}

// errNoImage is why a bundle without an image entry is refused.
var errNoImage = errors.New("index.json lists no image (vouch.dev/bundle.kind: image)")
