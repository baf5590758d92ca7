package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Referrer is a manifest that names another as its subject, read from the
// registry.
type Referrer struct {
	// Descriptor describes the manifest as a referrers list must: media
	// type, digest, size, artifact type (its artifactType field, else its
	// config's media type) and the manifest's own annotations.
	Descriptor v1.Descriptor
	// Subject is the digest of the manifest it refers to.
	Subject v1.Hash
}

// Referrer reads the manifest d names and describes it as a referrer. A
// manifest with no subject is an error.
func (c *Client) Referrer(ctx context.Context, d name.Digest) (Referrer, error) {
	d = c.digest(d)
	s, err := c.session()
	if err != nil {
		return Referrer{}, err
	}
	got, err := s.puller.Get(ctx, d)
	if err != nil {
		return Referrer{}, fmt.Errorf("reading referrer %s: %w", d, c.done(s, err))
	}
	var m struct {
		ArtifactType string `json:"artifactType"`
		Config       struct {
			MediaType string `json:"mediaType"`
		} `json:"config"`
		Subject     *v1.Descriptor    `json:"subject"`
		Annotations map[string]string `json:"annotations"`
	}
	if err := json.Unmarshal(got.Manifest, &m); err != nil {
		return Referrer{}, fmt.Errorf("reading referrer %s: %w", d, err)
	}
	if m.Subject == nil {
		return Referrer{}, fmt.Errorf("reading referrer %s: the manifest has no subject", d)
	}
	desc := v1.Descriptor{
		MediaType:    got.MediaType,
		Digest:       got.Digest,
		Size:         got.Size,
		ArtifactType: m.ArtifactType,
		Annotations:  m.Annotations,
	}
	if desc.ArtifactType == "" {
		desc.ArtifactType = m.Config.MediaType
	}
	return Referrer{Descriptor: desc, Subject: m.Subject.Digest}, nil
}

// ReferrersAPI reports whether the registry serves the OCI 1.1 referrers
// API for the repository of d, by asking it for d's referrers: an OCI
// index answer means it does; 404 or 400 that it does not, and readers
// fall back to the referrers tag schema. This is how ggcr's and oras-go's
// readers decide. A registry that serves the API answers 404 for a
// repository it does not have, so an answer that the repository is
// unknown is an error wrapping ErrNotFound: it tells nothing.
func (c *Client) ReferrersAPI(ctx context.Context, d name.Digest) (bool, error) {
	d = c.digest(d)
	repo := d.Context()
	auth, err := authn.Resolve(ctx, c.keychain, repo.Registry)
	if err != nil {
		return false, fmt.Errorf("credentials for %s: %w", repo.RegistryStr(), err)
	}
	rt := http.RoundTripper(c.transport)
	if c.userAgent != "" {
		rt = transport.NewUserAgent(rt, c.userAgent)
	}
	rt, err = transport.NewWithContext(ctx, repo.Registry, auth, rt,
		[]string{repo.Scope(transport.PullScope)})
	if err != nil {
		return false, fmt.Errorf("probing the referrers API of %s: %w", repo, Classify(err))
	}
	u := url.URL{
		Scheme: repo.Scheme(),
		Host:   repo.RegistryStr(),
		Path:   "/v2/" + repo.RepositoryStr() + "/referrers/" + d.DigestStr(),
	}
	return probeReferrers(ctx, &http.Client{Transport: rt}, u.String())
}

func probeReferrers(ctx context.Context, client *http.Client, u string) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", string(types.OCIImageIndex))
	resp, err := client.Do(req)
	if err != nil {
		return false, fmt.Errorf("probing the referrers API: %w", Classify(err))
	}
	defer resp.Body.Close()
	err = transport.CheckError(resp, http.StatusOK, http.StatusNotFound, http.StatusBadRequest)
	if err != nil {
		return false, fmt.Errorf("probing the referrers API: %w", Classify(err))
	}
	if resp.StatusCode == http.StatusNotFound && unknownName(resp) {
		return false, fmt.Errorf("probing the referrers API: %w: repository unknown", ErrNotFound)
	}
	mt, _, _ := strings.Cut(resp.Header.Get("Content-Type"), ";")
	return resp.StatusCode == http.StatusOK && mt == string(types.OCIImageIndex), nil
}

// unknownName reports whether a 404 answer's body says NAME_UNKNOWN.
func unknownName(resp *http.Response) bool {
	var body struct {
		Errors []transport.Diagnostic `json:"errors"`
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil || json.Unmarshal(b, &body) != nil {
		return false
	}
	for _, d := range body.Errors {
		if d.Code == transport.NameUnknownErrorCode {
			return true
		}
	}
	return false
}

// referrersTag is the referrers tag schema's tag for subject:
// <alg>-<hex> in subject's repository.
func referrersTag(subject name.Digest) name.Tag {
	return subject.Context().Tag(strings.Replace(subject.DigestStr(), ":", "-", 1))
}

// ReferrersTag returns the tag under which the referrers tag schema lists
// the referrers of subject.
func (c *Client) ReferrersTag(subject name.Digest) name.Tag {
	return referrersTag(c.digest(subject))
}

// ReferrersIndex reads the referrers tag-schema index of subject. When
// the tag does not exist it returns an empty index and false. A tag that
// holds anything but an OCI image index is an error.
func (c *Client) ReferrersIndex(ctx context.Context, subject name.Digest) (
	v1.IndexManifest, bool, error,
) {
	tag := referrersTag(c.digest(subject))
	empty := v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex}
	s, err := c.session()
	if err != nil {
		return empty, false, err
	}
	got, err := s.puller.Get(ctx, tag)
	if err != nil {
		err = c.done(s, err)
		if errors.Is(err, ErrNotFound) {
			return empty, false, nil
		}
		return empty, false, fmt.Errorf("reading %s: %w", tag, err)
	}
	if got.MediaType != types.OCIImageIndex {
		return empty, false, fmt.Errorf("reading %s: a %s, not an OCI image index", tag, got.MediaType)
	}
	im, err := v1.ParseIndexManifest(bytes.NewReader(got.Manifest))
	if err != nil {
		return empty, false, fmt.Errorf("reading %s: %w", tag, err)
	}
	if im.SchemaVersion != 2 {
		return empty, false, fmt.Errorf("reading %s: schema version %d", tag, im.SchemaVersion)
	}
	return *im, true, nil
}

// PutReferrersIndex writes im as the referrers tag-schema index of
// subject. Callers read the index first and merge into it
// ([MergeReferrers]): the tag schema has no way to detect a concurrent
// writer, so whatever the tag held is replaced.
func (c *Client) PutReferrersIndex(ctx context.Context, subject name.Digest,
	im v1.IndexManifest) error {
	tag := referrersTag(c.digest(subject))
	im.SchemaVersion, im.MediaType = 2, types.OCIImageIndex
	b, err := json.Marshal(im)
	if err != nil {
		return fmt.Errorf("writing %s: %w", tag, err)
	}
	s, err := c.session()
	if err != nil {
		return err
	}
	if err := s.pusher.Put(ctx, tag, rawIndex(b)); err != nil {
		return fmt.Errorf("writing %s: %w", tag, c.done(s, err))
	}
	return nil
}

// rawIndex is an OCI image index as bytes, for ggcr's Put.
type rawIndex []byte

func (r rawIndex) RawManifest() ([]byte, error)        { return r, nil }
func (r rawIndex) MediaType() (types.MediaType, error) { return types.OCIImageIndex, nil }

// MergeReferrers returns im listing every descriptor of add as well. A
// descriptor whose digest im lacks is appended; one whose digest im lists
// with other details (ggcr, for one, records the config media type as
// the artifact type and drops annotations) replaces that entry, since a
// referrers list describes each manifest as the manifest itself does.
// Nothing else im lists is dropped or moved. changed reports whether the
// result differs from im; im itself is not modified.
func MergeReferrers(im v1.IndexManifest, add []v1.Descriptor) (_ v1.IndexManifest, changed bool) {
	out := im
	out.Manifests = append([]v1.Descriptor(nil), im.Manifests...)
	for _, d := range add {
		i := indexOf(out.Manifests, d.Digest)
		switch {
		case i < 0:
			out.Manifests = append(out.Manifests, d)
		case !sameReferrer(out.Manifests[i], d):
			out.Manifests[i] = d
		default:
			continue
		}
		changed = true
	}
	return out, changed
}

func indexOf(list []v1.Descriptor, h v1.Hash) int {
	for i, d := range list {
		if d.Digest == h {
			return i
		}
	}
	return -1
}

// sameReferrer compares what a referrers list says about a manifest.
func sameReferrer(a, b v1.Descriptor) bool {
	return a.MediaType == b.MediaType && a.Digest == b.Digest && a.Size == b.Size &&
		a.ArtifactType == b.ArtifactType && maps.Equal(a.Annotations, b.Annotations)
}
