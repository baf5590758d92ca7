package inspect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/vouchsec/vouch/pkg/cosign"
	"github.com/vouchsec/vouch/pkg/notation"
	"github.com/vouchsec/vouch/pkg/registry"
)

// Limits on what inspect reads.
const (
	// maxDepth is how deep referrers of referrers are followed: an image's
	// attestation, the signature on it, and one more.
	maxDepth = 3
	// maxBlobBytes bounds an envelope, statement or bundle.
	maxBlobBytes = 16 << 20
)

// Media and artifact types inspect recognizes besides notation's.
const (
	bundleTypePrefix   = "application/vnd.dev.sigstore.bundle"
	mediaTypeDSSE      = "application/vnd.dsse.envelope.v1+json"
	annotationBundlePT = "dev.sigstore.bundle.predicateType"
)

// referrerManifest is what inspect reads of a referrer's manifest.
type referrerManifest struct {
	ArtifactType string            `json:"artifactType"`
	Config       v1.Descriptor     `json:"config"`
	Layers       []v1.Descriptor   `json:"layers"`
	Annotations  map[string]string `json:"annotations"`
}

// referrerItems describes the referrers of d. depth counts the referrers
// above d.
func (in *inspector) referrerItems(ctx context.Context, d name.Digest, depth int) ([]*Item, error) {
	descs, err := in.c.Referrers(ctx, d, "")
	if err != nil {
		return nil, err
	}
	items := []*Item{}
	for _, desc := range descs {
		if in.seen[desc.Digest.String()] {
			continue
		}
		in.seen[desc.Digest.String()] = true
		its, err := in.referrer(ctx, d.Context().Digest(desc.Digest.String()), desc, depth)
		if err != nil {
			return nil, err
		}
		items = append(items, its...)
	}
	return items, nil
}

// referrer describes one referrer, as one item or, for a cosign referrer
// holding several attestations, one per attestation.
func (in *inspector) referrer(ctx context.Context, ref name.Digest, desc v1.Descriptor,
	depth int) ([]*Item, error) {
	it := &Item{Kind: KindReferrer, Storage: StorageReferrer, Digest: desc.Digest.String(),
		MediaType: string(desc.MediaType), ArtifactType: desc.ArtifactType}
	m, err := in.manifest(ref)
	if err != nil {
		if errors.Is(err, registry.ErrNetwork) {
			return nil, err
		}
		it.addError(err)
		return []*Item{it}, nil
	}
	if it.ArtifactType == "" {
		it.ArtifactType = cmpOr(m.ArtifactType, string(m.Config.MediaType))
	}
	for _, l := range m.Layers {
		it.Size += l.Size
	}
	if t, ok := createdAnnotation(m.Annotations); ok {
		it.Created, it.CreatedFrom = t, CreatedFromAnnotation
	}
	it.PredicateType = cmpOr(m.Annotations[notation.AnnotationPredicateType],
		m.Annotations[annotationBundlePT])
	if depth+1 < maxDepth {
		if it.Attached, err = in.referrerItems(ctx, ref, depth+1); err != nil {
			return nil, err
		}
	}
	items := []*Item{it}
	switch {
	case it.ArtifactType == notation.ArtifactTypeSignature:
		err = in.notationSignature(ref, m, it)
	case strings.HasPrefix(it.ArtifactType, bundleTypePrefix):
		err = in.sigstoreBundle(ref, m, it)
	case len(m.Layers) > 0 && m.Layers[0].MediaType == notation.ArtifactTypeInToto:
		err = in.statement(ref, m, it)
		if hasKind(it.Attached, KindNotationSignature) {
			it.Kind = KindNotationAttestation
		}
	case len(m.Layers) > 0 && m.Layers[0].MediaType == mediaTypeDSSE:
		items, err = in.cosignReferrer(ref, m, it)
	}
	if errors.Is(err, registry.ErrNetwork) {
		return nil, err
	}
	if err != nil {
		it.addError(err)
	}
	return items, nil
}

func hasKind(items []*Item, kind string) bool {
	for _, it := range items {
		if it.Kind == kind {
			return true
		}
	}
	return false
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// manifest reads a referrer's manifest.
func (in *inspector) manifest(ref name.Digest) (*referrerManifest, error) {
	got, err := remote.Get(ref, in.ropts...)
	if err != nil {
		return nil, fmt.Errorf("reading referrer %s: %w", ref.DigestStr(), registry.Classify(err))
	}
	var m referrerManifest
	if err := json.Unmarshal(got.Manifest, &m); err != nil {
		return nil, fmt.Errorf("decoding referrer %s: %w", ref.DigestStr(), err)
	}
	return &m, nil
}

// blob reads a layer of a referrer, bounded.
func (in *inspector) blob(ref name.Digest, l v1.Descriptor) ([]byte, error) {
	if l.Size > maxBlobBytes {
		return nil, fmt.Errorf("layer %s of %d bytes is too large to read", l.Digest, l.Size)
	}
	layer, err := remote.Layer(ref.Context().Digest(l.Digest.String()), in.ropts...)
	if err != nil {
		return nil, fmt.Errorf("reading layer %s: %w", l.Digest, registry.Classify(err))
	}
	rc, err := layer.Compressed()
	if err != nil {
		return nil, fmt.Errorf("reading layer %s: %w", l.Digest, registry.Classify(err))
	}
	b, err := readLimited(rc, maxBlobBytes)
	if err != nil {
		return nil, fmt.Errorf("reading layer %s: %w", l.Digest, registry.Classify(err))
	}
	return b, nil
}

// statement describes an in-toto statement stored as a referrer, as
// notation attestations are: its signatures are its own referrers.
func (in *inspector) statement(ref name.Digest, m *referrerManifest, it *Item) error {
	it.Kind = KindAttestation
	st, err := in.blob(ref, m.Layers[0])
	if err != nil {
		return err
	}
	pt, err := statementPredicateType(st)
	if err != nil {
		return err
	}
	it.PredicateType = pt
	return nil
}

// cosignReferrer describes the DSSE layers of a referrer cosign wrote
// for its attestations, one item each; the referrers of the manifest go
// with the first. The error is a registry failure only.
func (in *inspector) cosignReferrer(ref name.Digest, m *referrerManifest, base *Item) ([]*Item, error) {
	items := make([]*Item, 0, len(m.Layers))
	for i, l := range m.Layers {
		it := *base
		it.Kind, it.Envelope, it.Size = KindCosignAttestation, EnvelopeDSSE, l.Size
		if i > 0 {
			it.Attached = nil
		}
		it.Signer = layerSigner(l.Annotations, &it)
		env, err := in.blob(ref, l)
		switch {
		case errors.Is(err, registry.ErrNetwork):
			return nil, err
		case err != nil:
			it.addError(err)
		default:
			pt, err := dssePredicateType(env)
			if err != nil {
				it.addError(err)
			}
			it.PredicateType = cmpOr(pt, l.Annotations[cosign.PredicateTypeAnnotation])
		}
		items = append(items, &it)
	}
	return items, nil
}
