package registry

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// emptyConfigType is the media type of the OCI empty descriptor, the config
// of most artifacts; it says nothing about what an artifact is.
const emptyConfigType = "application/vnd.oci.empty.v1+json"

// Referrers lists the OCI 1.1 referrers of d: through the registry's
// referrers API when it serves one, else through the referrers tag schema
// (an index tagged sha256-<hex>). No referrers is an empty list, not an
// error.
//
// When artifactType is not empty only referrers of that type are returned.
// The filter is applied here, since registries may ignore it. A descriptor
// whose artifact type is missing or only the empty config type (some
// registries and clients record the config media type instead of the
// manifest's artifactType) is corrected from its manifest, at one GET each.
func (c *Client) Referrers(ctx context.Context, d name.Digest, artifactType string) (
	[]v1.Descriptor, error,
) {
	d = c.digest(d)
	s, err := c.session()
	if err != nil {
		return nil, err
	}
	opts := append(c.baseOptions(), remote.WithContext(ctx), remote.Reuse(s.puller))
	idx, err := remote.Referrers(d, opts...)
	if err != nil {
		return nil, fmt.Errorf("listing referrers of %s: %w", d, c.done(s, err))
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("listing referrers of %s: %w", d, c.done(s, err))
	}
	out := make([]v1.Descriptor, 0, len(im.Manifests))
	for _, desc := range im.Manifests {
		if desc.ArtifactType == "" || desc.ArtifactType == emptyConfigType {
			at, err := c.artifactType(ctx, s, d.Context().Digest(desc.Digest.String()))
			if err != nil {
				return nil, fmt.Errorf("listing referrers of %s: %w", d, err)
			}
			desc.ArtifactType = at
		}
		if artifactType == "" || desc.ArtifactType == artifactType {
			out = append(out, desc)
		}
	}
	return out, nil
}

// artifactType reads a manifest's artifact type as the OCI image spec
// defines it: its artifactType field, else its config's media type.
func (c *Client) artifactType(ctx context.Context, s *session, ref name.Digest) (string, error) {
	got, err := s.puller.Get(ctx, ref)
	if err != nil {
		return "", fmt.Errorf("reading referrer %s: %w", ref, c.done(s, err))
	}
	var m struct {
		ArtifactType string `json:"artifactType"`
		Config       struct {
			MediaType string `json:"mediaType"`
		} `json:"config"`
	}
	if err := json.Unmarshal(got.Manifest, &m); err != nil {
		return "", fmt.Errorf("reading referrer %s: %w", ref, err)
	}
	if m.ArtifactType != "" {
		return m.ArtifactType, nil
	}
	return m.Config.MediaType, nil
}
