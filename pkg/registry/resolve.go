package registry

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Resolve turns a tag or digest reference into a digest reference. A digest
// reference comes back as is, with a nil descriptor and no request made. A
// tag costs one HEAD request (after the first /v2/ ping of its repository),
// and a GET only when the HEAD answer carries no usable digest. For an index
// the index's own digest is returned, not a platform's.
func (c *Client) Resolve(ctx context.Context, ref string) (name.Digest, *v1.Descriptor, error) {
	r, err := c.ParseReference(ref)
	if err != nil {
		return name.Digest{}, nil, err
	}
	if d, ok := r.(name.Digest); ok {
		return d, nil, nil
	}
	desc, err := c.head(ctx, r)
	if err != nil {
		return name.Digest{}, nil, fmt.Errorf("resolving %s: %w", ref, err)
	}
	return r.Context().Digest(desc.Digest.String()), desc, nil
}

// head describes the manifest ref names: HEAD first, GET if the HEAD answer
// was not enough. A missing manifest is ErrNotFound after the HEAD alone.
func (c *Client) head(ctx context.Context, ref name.Reference) (*v1.Descriptor, error) {
	s, err := c.session()
	if err != nil {
		return nil, err
	}
	desc, err := s.puller.Head(ctx, ref)
	if err == nil {
		return desc, nil
	}
	if err := c.done(s, err); errors.Is(err, ErrNetwork) || errors.Is(err, ErrNotFound) {
		return nil, err
	}
	c.logger.DebugContext(ctx, "HEAD gave no digest, using GET", "ref", ref.String(), "error", err)
	got, err := s.puller.Get(ctx, ref)
	if err != nil {
		return nil, c.done(s, err)
	}
	return &got.Descriptor, nil
}

// Exists reports whether ref's repository has a manifest with ref's digest.
// It sends one HEAD request.
func (c *Client) Exists(ctx context.Context, ref name.Digest) (bool, error) {
	ref = c.digest(ref)
	s, err := c.session()
	if err != nil {
		return false, err
	}
	if _, err := s.puller.Head(ctx, ref); err != nil {
		err = c.done(s, err)
		if errors.Is(err, ErrNotFound) {
			return false, nil
		}
		return false, fmt.Errorf("checking %s: %w", ref, err)
	}
	return true, nil
}
