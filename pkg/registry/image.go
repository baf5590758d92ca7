package registry

import (
	"context"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Manifest returns the manifest d names and its media type, as the
// registry serves it. ggcr checks the content against d's digest. It sends
// one GET request.
func (c *Client) Manifest(ctx context.Context, d name.Digest) ([]byte, types.MediaType, error) {
	d = c.digest(d)
	s, err := c.session()
	if err != nil {
		return nil, "", err
	}
	desc, err := s.puller.Get(ctx, d)
	if err != nil {
		return nil, "", fmt.Errorf("reading manifest %s: %w", d, c.done(s, err))
	}
	return desc.Manifest, desc.MediaType, nil
}

// Blob returns the blob d names in d's repository, checked against d's
// digest, refusing one of more than maxSize bytes without reading it
// whole. It sends one GET request.
func (c *Client) Blob(ctx context.Context, d name.Digest, maxSize int64) ([]byte, error) {
	d = c.digest(d)
	s, err := c.session()
	if err != nil {
		return nil, err
	}
	l, err := s.puller.Layer(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("reading blob %s: %w", d, c.done(s, err))
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, fmt.Errorf("reading blob %s: %w", d, c.done(s, err))
	}
	defer rc.Close()
	// The digest is checked when the reader reaches the end, which it does
	// unless the blob is too large.
	b, err := io.ReadAll(io.LimitReader(rc, maxSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading blob %s: %w", d, c.done(s, err))
	}
	if int64(len(b)) > maxSize {
		return nil, fmt.Errorf("blob %s is more than %d bytes", d, maxSize)
	}
	return b, nil
}
