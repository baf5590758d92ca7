package registry

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// CopyResult tells what Copy did.
type CopyResult struct {
	// Digest is the digest of the copied manifest, the same in both places.
	Digest v1.Hash
	// Written is false when the destination had everything already and
	// nothing was written.
	Written bool
	// Manifests and Blobs count what this copy stored in the destination:
	// manifests written (an index and its children, or a referrers
	// tag-schema index ggcr updates for an artifact with a subject) and blobs
	// uploaded or mounted. Content the destination had is not counted.
	Manifests, Blobs int
}

// Copy copies the manifest src names, with everything it references (for an
// index: every child manifest of every platform, and their blobs), to the
// repository dst under the same digest. It does not tag: see [Client.Tag],
// which callers run last.
//
// Nothing is written for content the destination has: the manifest digest is
// checked with a HEAD before any write, ggcr checks every child manifest and
// blob the same way, so a second run of the same copy makes no writes.
func (c *Client) Copy(ctx context.Context, src name.Digest, dst name.Repository) (
	CopyResult, error,
) {
	src, dst = c.digest(src), c.repo(dst)
	h, err := v1.NewHash(src.DigestStr())
	if err != nil {
		return CopyResult{}, fmt.Errorf("%w %q: %w", ErrInvalidReference, src, err)
	}
	res := CopyResult{Digest: h}
	target := dst.Digest(h.String())

	exists, err := c.Exists(ctx, target)
	switch {
	case errors.Is(err, ErrNetwork):
		return res, fmt.Errorf("copying %s to %s: %w", src, dst, err)
	case err != nil:
		// Some registries refuse reads before a push token exists; the
		// push below checks existence again with write access.
		c.logger.DebugContext(ctx, "existence check failed", "ref", target.String(), "error", err)
	case exists:
		return res, nil
	}

	if err := c.push(ctx, src, target, &res); err != nil {
		return res, fmt.Errorf("copying %s to %s: %w", src, dst, err)
	}
	return res, nil
}

// push reads src and pushes it with all it references to target, recording
// in res what was written.
func (c *Client) push(ctx context.Context, src, target name.Digest, res *CopyResult) error {
	s, err := c.session()
	if err != nil {
		return err
	}
	desc, err := s.puller.Get(ctx, src)
	if err != nil {
		return fmt.Errorf("reading source manifest: %w", c.done(s, err))
	}
	m := &meter{}
	err = s.pusher.Push(withMeter(ctx, m), target, desc)
	res.Written = m.writes.Load() > 0
	res.Manifests, res.Blobs = int(m.manifests.Load()), int(m.blobs.Load())
	if err != nil {
		return fmt.Errorf("writing: %w", c.done(s, err))
	}
	return nil
}

// Tag points the tag dst at the manifest with digest, which must already be
// in dst's repository. It writes nothing, and returns false, when the tag
// already points there.
func (c *Client) Tag(ctx context.Context, dst name.Tag, digest v1.Hash) (bool, error) {
	dst = c.tag(dst)
	cur, err := c.head(ctx, dst)
	switch {
	case err == nil && cur.Digest == digest:
		return false, nil
	case errors.Is(err, ErrNetwork):
		return false, fmt.Errorf("tagging %s: %w", dst, err)
	}
	s, err := c.session()
	if err != nil {
		return false, err
	}
	target := dst.Context().Digest(digest.String())
	desc, err := s.puller.Get(ctx, target)
	if err != nil {
		return false, fmt.Errorf("tagging %s: reading %s: %w", dst, target, c.done(s, err))
	}
	if err := s.pusher.Put(ctx, dst, desc); err != nil {
		return false, fmt.Errorf("tagging %s: %w", dst, c.done(s, err))
	}
	return true, nil
}
