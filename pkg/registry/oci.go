package registry

import (
	"fmt"
	"log/slog"
	"net/http"
	"os"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Layout is an OCI image layout on disk served, read-only, as the one
// repository of an in-process registry. Requests reach it through
// [Layout.Transport], without a socket, so every registry client (ggcr's
// remote, oras-go, cosign, notation-go) reads the layout unchanged:
// manifests by tag and digest, blobs, the referrers API and the referrers
// tag schema.
//
// Manifests are read, checked against their digests and kept in memory
// when the layout is opened; blobs are read from disk on demand and checked
// while they stream. A Layout is safe for concurrent use.
type Layout struct {
	dir     string
	dirInfo os.FileInfo
	scope   name.Repository
	hosts   map[string]bool
	logger  *slog.Logger
	handler http.Handler

	// manifests holds what the layout lists, by digest; tags the
	// ref.name annotations of index.json; referrers the descriptors of
	// manifests with a subject, by the subject's digest.
	manifests map[v1.Hash]types.MediaType
	tags      map[string]v1.Hash
	referrers map[v1.Hash][]v1.Descriptor
}

// LayoutOption configures a Layout.
type LayoutOption func(*layoutOptions)

type layoutOptions struct {
	logger *slog.Logger
}

// WithLayoutLogger sets the logger for skipped annotations, refused blobs
// and request traces (debug and warn levels). The default discards
// everything.
func WithLayoutLogger(l *slog.Logger) LayoutOption {
	return func(o *layoutOptions) { o.logger = l }
}

// OpenLayout reads the OCI image layout in dir and serves it as the
// repository scope, the name policies match the layout's images against:
// for example localhost:5000/e2e or registry.acme.io/prod/app. Requests to
// scope's registry host that go through [Layout.Transport] reach the layout
// instead of the network.
//
// Every manifest index.json lists is loaded, and every manifest the image
// indexes among them list, however deeply nested (within limits); each
// must be in the layout and match its digest. A descriptor of index.json
// with an org.opencontainers.image.ref.name annotation that is a valid tag
// is served under that tag. Only sha256 digests are supported.
func OpenLayout(dir string, scope name.Repository, opts ...LayoutOption) (*Layout, error) {
	o := layoutOptions{logger: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		opt(&o)
	}
	if scope.RepositoryStr() == "" {
		return nil, fmt.Errorf("opening layout %s: scope names no repository", dir)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("opening layout: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("opening layout %s: not a directory", dir)
	}
	l := &Layout{
		dir:       dir,
		dirInfo:   fi,
		scope:     scope,
		hosts:     scopeHosts(scope),
		logger:    o.logger,
		manifests: map[v1.Hash]types.MediaType{},
		tags:      map[string]v1.Hash{},
		referrers: map[v1.Hash][]v1.Descriptor{},
	}
	inner := ggcrregistry.New(
		ggcrregistry.Logger(slog.NewLogLogger(o.logger.Handler(), slog.LevelDebug)),
		ggcrregistry.WithBlobHandler(&layoutBlobs{dir: dir, repo: scope.RepositoryStr(),
			logger: o.logger}),
	)
	if err := l.load(inner); err != nil {
		return nil, fmt.Errorf("opening layout %s: %w", dir, err)
	}
	l.handler = &readOnlyHandler{layout: l, next: inner}
	return l, nil
}

// scopeHosts returns the hosts requests for scope go to. Clients spell
// Docker Hub in several ways.
func scopeHosts(scope name.Repository) map[string]bool {
	hosts := map[string]bool{scope.RegistryStr(): true}
	if scope.RegistryStr() == name.DefaultRegistry {
		hosts["docker.io"] = true
		hosts["registry-1.docker.io"] = true
	}
	return hosts
}

// Scope returns the repository the layout is served as.
func (l *Layout) Scope() name.Repository { return l.scope }

// Digest returns the digest reference, in the layout's scope, of the image
// ref names. A tag is looked up in index.json's annotations as read by
// OpenLayout. ref.Dir must be the layout's directory. A tag or digest the
// layout does not have is an error wrapping ErrNotFound.
func (l *Layout) Digest(ref LayoutRef) (name.Digest, error) {
	if fi, err := os.Stat(ref.Dir); err != nil || !os.SameFile(fi, l.dirInfo) {
		return name.Digest{}, fmt.Errorf("%w %q: not the layout %s", ErrInvalidReference, ref, l.dir)
	}
	h := ref.Digest
	if ref.Tag != "" {
		var ok bool
		if h, ok = l.tags[ref.Tag]; !ok {
			return name.Digest{}, fmt.Errorf("%w: layout %s has no tag %q", ErrNotFound, l.dir, ref.Tag)
		}
	}
	if _, ok := l.manifests[h]; !ok {
		return name.Digest{}, fmt.Errorf("%w: layout %s has no manifest %s", ErrNotFound, l.dir, h)
	}
	return l.scope.Digest(h.String()), nil
}

// Transport returns a RoundTripper that serves requests to the scope's
// registry host from the layout, in process, whatever their URL scheme,
// and sends all others to next (http.DefaultTransport when nil). Writes to
// the layout are refused with 405 Method Not Allowed.
func (l *Layout) Transport(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &layoutTransport{layout: l, next: next}
}
