package registry

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// PushLayout pushes the first manifest (an index or an image) of the OCI
// image layout in layoutDir to dst, with everything it references, and
// returns its digest. Content dst's repository has already is not written
// again.
func PushLayout(ctx context.Context, c *Client, layoutDir string, dst name.Tag) (v1.Hash, error) {
	p, err := layout.FromPath(layoutDir)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("reading layout %s: %w", layoutDir, err)
	}
	top, err := p.ImageIndex()
	if err != nil {
		return v1.Hash{}, fmt.Errorf("reading layout %s: %w", layoutDir, err)
	}
	im, err := top.IndexManifest()
	if err != nil {
		return v1.Hash{}, fmt.Errorf("reading layout %s index.json: %w", layoutDir, err)
	}
	if len(im.Manifests) == 0 {
		return v1.Hash{}, fmt.Errorf("layout %s: index.json lists no manifests", layoutDir)
	}
	desc := im.Manifests[0]
	var t remote.Taggable
	switch {
	case desc.MediaType.IsIndex():
		t, err = top.ImageIndex(desc.Digest)
	case desc.MediaType.IsImage():
		t, err = top.Image(desc.Digest)
	default:
		return v1.Hash{}, fmt.Errorf("layout %s: first manifest has media type %q, "+
			"want an image or an index", layoutDir, desc.MediaType)
	}
	if err != nil {
		return v1.Hash{}, fmt.Errorf("reading layout %s manifest %s: %w", layoutDir, desc.Digest, err)
	}

	s, err := c.session()
	if err != nil {
		return v1.Hash{}, err
	}
	dst = c.tag(dst)
	if err := s.pusher.Push(ctx, dst, t); err != nil {
		return v1.Hash{}, fmt.Errorf("pushing layout %s to %s: %w", layoutDir, dst, c.done(s, err))
	}
	return desc.Digest, nil
}
