package bundle

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/vouchsec/vouch/pkg/registry"
)

// Bounds on what an export reads from a registry. Referrers are at depth
// 1 (a notation signature, an attestation), theirs at depth 2 (the
// attestation's signature), and so on, as for a promotion.
const (
	maxManifestSize  = 4 << 20
	maxIndexDepth    = 8
	maxReferrerDepth = 3
	maxReferrers     = 1000
)

// ociArtifactManifest is the artifact manifest media type of image-spec
// 1.1 release candidates.
const ociArtifactManifest types.MediaType = "application/vnd.oci.artifact.manifest.v1+json"

// manifestFields are the parts of a manifest or index an export follows.
type manifestFields struct {
	ArtifactType string          `json:"artifactType"`
	Config       *v1.Descriptor  `json:"config"`
	Layers       []v1.Descriptor `json:"layers"`
	Blobs        []v1.Descriptor `json:"blobs"` // artifact manifests
	Manifests    []v1.Descriptor `json:"manifests"`
	Subject      *v1.Descriptor  `json:"subject"`
}

// collector copies an image and its evidence from a registry into a
// layout, by digest.
type collector struct {
	client *registry.Client
	ropts  []remote.Option
	w      *layoutWriter
	layers bool
	log    *slog.Logger
}

func isManifest(mt types.MediaType) bool {
	return mt.IsImage() || mt.IsIndex() || mt == ociArtifactManifest
}

// fetch reads the manifest ref names.
func (c *collector) fetch(ref name.Reference) (*remote.Descriptor, manifestFields, error) {
	var m manifestFields
	got, err := remote.Get(ref, c.ropts...)
	if err != nil {
		return nil, m, fmt.Errorf("reading %s: %w", ref, registry.Classify(err))
	}
	if got.Size > maxManifestSize {
		return nil, m, fmt.Errorf("reading %s: manifest of %d bytes, limit %d",
			ref, got.Size, maxManifestSize)
	}
	if err := json.Unmarshal(got.Manifest, &m); err != nil {
		return nil, m, fmt.Errorf("reading %s: %w", ref, err)
	}
	return got, m, nil
}

// manifest writes the manifest got (read from repo) and what it
// references: for an index every child manifest, for a manifest its
// config and, when layers is set, its layers. It returns got's descriptor.
func (c *collector) manifest(ctx context.Context, repo name.Repository, got *remote.Descriptor,
	m manifestFields, layers bool, depth int) (v1.Descriptor, error) {
	desc := v1.Descriptor{MediaType: got.MediaType, Size: got.Size, Digest: got.Digest}
	if depth > maxIndexDepth {
		return desc, fmt.Errorf("manifest %s: indexes nested more than %d deep",
			desc.Digest, maxIndexDepth)
	}
	if err := c.w.blob(desc, bytes.NewReader(got.Manifest)); err != nil {
		return desc, err
	}
	if got.MediaType.IsIndex() {
		return desc, c.children(ctx, repo, m.Manifests, layers, depth)
	}
	if m.Config != nil {
		if err := c.blob(ctx, repo, *m.Config); err != nil {
			return desc, err
		}
	}
	if !layers {
		return desc, nil
	}
	for _, l := range append(m.Layers, m.Blobs...) {
		if !l.MediaType.IsDistributable() {
			c.log.DebugContext(ctx, "bundle: skipping a non-distributable layer",
				"digest", l.Digest.String())
			continue
		}
		if err := c.blob(ctx, repo, l); err != nil {
			return desc, err
		}
	}
	return desc, nil
}

func (c *collector) children(ctx context.Context, repo name.Repository, children []v1.Descriptor,
	layers bool, depth int) error {
	for _, child := range children {
		if !isManifest(child.MediaType) {
			c.log.DebugContext(ctx, "bundle: skipping an index entry that is not a manifest",
				"digest", child.Digest.String(), "mediaType", string(child.MediaType))
			continue
		}
		got, m, err := c.fetch(repo.Digest(child.Digest.String()))
		if err != nil {
			return err
		}
		if _, err := c.manifest(ctx, repo, got, m, layers, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// blob copies the blob desc describes from repo, checking its digest and
// size while it is written.
func (c *collector) blob(ctx context.Context, repo name.Repository, desc v1.Descriptor) error {
	if c.w.has(desc.Digest) {
		return nil
	}
	ref := repo.Digest(desc.Digest.String())
	l, err := remote.Layer(ref, append(c.ropts, remote.WithContext(ctx))...)
	if err != nil {
		return fmt.Errorf("reading blob %s: %w", desc.Digest, registry.Classify(err))
	}
	rc, err := l.Compressed()
	if err != nil {
		return fmt.Errorf("reading blob %s: %w", desc.Digest, registry.Classify(err))
	}
	defer rc.Close()
	if err := c.w.blob(desc, rc); err != nil {
		return registry.Classify(err)
	}
	return nil
}

// image writes the image d names and lists it as the bundle's image, with
// annotations ann.
// It returns the manifests an index lists, whose own evidence the caller
// collects too; none for a single manifest.
func (c *collector) image(ctx context.Context, d name.Digest, ann map[string]string) ([]name.Digest, error) {
	got, m, err := c.fetch(d)
	if err != nil {
		return nil, err
	}
	if !isManifest(got.MediaType) {
		return nil, fmt.Errorf("%s is a %s, not an image or an index", d, got.MediaType)
	}
	desc, err := c.manifest(ctx, d.Context(), got, m, c.layers, 0)
	if err != nil {
		return nil, err
	}
	desc.Annotations = ann
	c.w.add(desc)
	var children []name.Digest
	for _, cm := range m.Manifests {
		children = append(children, d.Context().Digest(cm.Digest.String()))
	}
	return children, nil
}

// cosign writes the manifests of cosign's sha256-<hex>.sig and .att tags
// of d, with their layers, where they exist.
func (c *collector) cosign(ctx context.Context, d name.Digest) error {
	h, err := v1.NewHash(d.DigestStr())
	if err != nil {
		return err
	}
	for _, t := range []struct {
		suffix string
		kind   Kind
	}{{".sig", KindCosignSignatures}, {".att", KindCosignAttestations}} {
		tag := d.Context().Tag(h.Algorithm + "-" + h.Hex + t.suffix)
		got, m, err := c.fetch(tag)
		if errors.Is(err, registry.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		desc, err := c.manifest(ctx, d.Context(), got, m, true, 0)
		if err != nil {
			return err
		}
		desc.Annotations = map[string]string{
			AnnotationKind: string(t.kind), annotationRefName: tag.TagStr(),
		}
		c.w.add(desc)
	}
	return nil
}

// referrers writes the OCI 1.1 referrers of subject, and theirs, to the
// bounds. seen holds every referrer written so far.
func (c *collector) referrers(ctx context.Context, subject name.Digest, depth int,
	seen map[v1.Hash]bool) error {
	descs, err := c.client.Referrers(ctx, subject, "")
	if err != nil {
		return err
	}
	if len(descs) > 0 && depth > maxReferrerDepth {
		return fmt.Errorf("referrers of %s: nested deeper than %d levels", subject, maxReferrerDepth)
	}
	for _, d := range descs {
		if seen[d.Digest] {
			continue
		}
		seen[d.Digest] = true
		if len(seen) > maxReferrers {
			return fmt.Errorf("referrers of %s: more than %d in all", subject, maxReferrers)
		}
		ref := subject.Context().Digest(d.Digest.String())
		if err := c.referrer(ctx, subject, ref); err != nil {
			return err
		}
		if err := c.referrers(ctx, ref, depth+1, seen); err != nil {
			return err
		}
	}
	return nil
}

// referrer writes the referrer ref of subject, with its layers, after
// checking that it names subject, as the listing said.
func (c *collector) referrer(ctx context.Context, subject, ref name.Digest) error {
	got, m, err := c.fetch(ref)
	if err != nil {
		return err
	}
	if m.Subject == nil || m.Subject.Digest.String() != subject.DigestStr() {
		return fmt.Errorf("referrers of %s: %s is listed but does not name it as its subject",
			subject, ref.DigestStr())
	}
	desc, err := c.manifest(ctx, ref.Context(), got, m, true, 0)
	if err != nil {
		return err
	}
	desc.ArtifactType = m.ArtifactType
	if desc.ArtifactType == "" && m.Config != nil {
		desc.ArtifactType = string(m.Config.MediaType)
	}
	desc.Annotations = map[string]string{AnnotationKind: string(KindReferrer),
		AnnotationSubject: subject.DigestStr()}
	c.w.add(desc)
	return nil
}
