package cosign

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	intotov1 "github.com/in-toto/attestation/go/v1"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/cosign/v2/pkg/types"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"google.golang.org/protobuf/encoding/protojson"
)

// The bundle format: cosign v3 (and v2 with --new-bundle-format) stores
// each signature or attestation as a Sigstore bundle v0.3, the single
// layer of an OCI 1.1 referrer of the image.
const (
	// BundleMediaType is the artifact type of the referrer and the media
	// type of its layer.
	BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"
	// SignPredicateType is the predicate type of the in-toto statement
	// cosign signs for an image signature in the bundle format.
	SignPredicateType = types.CosignSignPredicateType
	// AnnotationBundleContent and AnnotationBundlePredicateType are the
	// referrer manifest's annotations: what the bundle holds
	// ("dsse-envelope") and its statement's predicate type. Neither is
	// signed.
	AnnotationBundleContent       = "dev.sigstore.bundle.content"
	AnnotationBundlePredicateType = "dev.sigstore.bundle.predicateType"
	// MaxBundleSize bounds a bundle read from a registry.
	MaxBundleSize = 4 << 20
)

// The media types of the older bundle versions, which a referrer may also
// carry.
const (
	bundleMediaType01 = "application/vnd.dev.sigstore.bundle+json;version=0.1"
	bundleMediaType02 = "application/vnd.dev.sigstore.bundle+json;version=0.2"
)

// IsBundleMediaType reports whether t names a Sigstore bundle, v0.1 to
// v0.3.
func IsBundleMediaType(t string) bool {
	switch t {
	case BundleMediaType, bundleMediaType01, bundleMediaType02:
		return true
	}
	return false
}

// SignStatement returns the statement cosign signs for an image signature
// in the bundle format: an in-toto v1 statement whose only subject is d's
// digest (no name) and whose predicate type is [SignPredicateType], with
// no predicate.
func SignStatement(d name.Digest) ([]byte, error) {
	h, err := v1.NewHash(d.DigestStr())
	if err != nil {
		return nil, fmt.Errorf("parsing digest %s: %w", d.DigestStr(), err)
	}
	st := &intotov1.Statement{
		Type:          intotov1.StatementTypeUri,
		Subject:       []*intotov1.ResourceDescriptor{{Digest: map[string]string{h.Algorithm: h.Hex}}},
		PredicateType: SignPredicateType,
	}
	return compactProtoJSON(protojson.Marshal(st))
}

// compactProtoJSON drops the whitespace protojson may add at random, so
// that the same message always gives the same bytes.
func compactProtoJSON(data []byte, err error) ([]byte, error) {
	if err != nil {
		return nil, fmt.Errorf("encoding: %w", err)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, data); err != nil {
		return nil, fmt.Errorf("encoding: %w", err)
	}
	return buf.Bytes(), nil
}

// WriteBundle stores b as a referrer of d the way cosign does, with
// cosign's ociremote.WriteAttestationNewBundleFormat: an OCI image
// manifest whose artifact type is [BundleMediaType], whose one layer is
// the bundle's JSON and whose annotations name the predicate type (for a
// signature, [SignPredicateType]). A registry without the referrers API
// gets the referrers tag instead. If d already has a bundle referrer with
// the same bundle, nothing is written. That only catches a bundle written
// twice: signing again, with a key or keyless, makes a new signature and
// so a new referrer.
func WriteBundle(ctx context.Context, d name.Digest, b *bundle.Bundle, predicateType string,
	ropts []remote.Option) error {
	if b == nil || b.Bundle == nil {
		return errors.New("writing bundle: no bundle")
	}
	data, err := compactProtoJSON(b.MarshalJSON())
	if err != nil {
		return fmt.Errorf("writing bundle: %w", err)
	}
	sum := sha256.Sum256(data)
	layer := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
	descs, err := bundleReferrers(ctx, d, ropts)
	if err != nil {
		return err
	}
	for _, desc := range descs {
		m, err := referrerManifest(ctx, d.Context().Digest(desc.Digest.String()), ropts)
		if err == nil && m.isBundle() && len(m.Layers) == 1 && m.Layers[0].Digest == layer {
			return nil
		}
	}
	opts := registryOptions(ctx, ropts)
	if err := ociremote.WriteAttestationNewBundleFormat(d, data, predicateType, opts...); err != nil {
		return fmt.Errorf("writing bundle referrer of %s: %w", d, err)
	}
	return nil
}

// BundleReferrer is one Sigstore bundle referrer of an image, read but not
// verified.
type BundleReferrer struct {
	// Digest is the referrer manifest's digest.
	Digest v1.Hash
	// Bundle is the parsed bundle; nil when Err is set.
	Bundle *bundle.Bundle
	// Err says why the referrer could not be read as a bundle: more than
	// one layer, a layer too large, or content that is not a bundle.
	Err error
}

// FetchBundles reads every referrer of d whose artifact type is a Sigstore
// bundle ([IsBundleMediaType]), as cosign's GetBundles finds them, with
// the referrers API or the referrers tag. A referrer that is not a usable
// bundle is returned with its Err set; the error is a registry failure.
func FetchBundles(ctx context.Context, d name.Digest, ropts []remote.Option) (
	[]*BundleReferrer, error) {
	descs, err := bundleReferrers(ctx, d, ropts)
	if err != nil {
		return nil, err
	}
	out := make([]*BundleReferrer, 0, len(descs))
	for _, desc := range descs {
		ref := d.Context().Digest(desc.Digest.String())
		m, err := referrerManifest(ctx, ref, ropts)
		if err != nil {
			return nil, err
		}
		if !m.isBundle() {
			continue
		}
		br := &BundleReferrer{Digest: desc.Digest}
		br.Bundle, br.Err = readBundle(ctx, ref, m, ropts)
		if errors.Is(br.Err, errRegistry) {
			return nil, br.Err
		}
		out = append(out, br)
	}
	return out, nil
}

// errRegistry marks a read that failed at the registry, not in the
// content.
var errRegistry = errors.New("registry")

// emptyConfigType is the config media type of cosign's referrers, which
// go-containerregistry (its registry, and its referrers tag) gives as the
// artifact type in place of the manifest's own.
const emptyConfigType = "application/vnd.oci.empty.v1+json"

// bundleReferrers lists d's referrers that may be bundles: those whose
// artifact type is a bundle's, and those whose listed type is empty or the
// empty config's, whose manifest tells.
func bundleReferrers(ctx context.Context, d name.Digest, ropts []remote.Option) (
	[]v1.Descriptor, error) {
	idx, err := remote.Referrers(d, withContext(ctx, ropts)...)
	if err != nil {
		return nil, fmt.Errorf("listing referrers of %s: %w", d, err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("listing referrers of %s: %w", d, err)
	}
	var out []v1.Descriptor
	for _, desc := range m.Manifests {
		if t := desc.ArtifactType; IsBundleMediaType(t) || t == "" || t == emptyConfigType {
			out = append(out, desc)
		}
	}
	return out, nil
}

// bundleManifest is what is read of a bundle referrer's manifest.
type bundleManifest struct {
	ArtifactType string          `json:"artifactType"`
	Layers       []v1.Descriptor `json:"layers"`
}

// isBundle reports whether the manifest says it holds a bundle.
func (m *bundleManifest) isBundle() bool {
	return IsBundleMediaType(m.ArtifactType) ||
		len(m.Layers) > 0 && IsBundleMediaType(string(m.Layers[0].MediaType))
}

func referrerManifest(ctx context.Context, ref name.Digest, ropts []remote.Option) (
	*bundleManifest, error) {
	got, err := remote.Get(ref, withContext(ctx, ropts)...)
	if err != nil {
		return nil, fmt.Errorf("reading referrer %s: %w", ref.DigestStr(), err)
	}
	var m bundleManifest
	if err := json.Unmarshal(got.Manifest, &m); err != nil {
		return nil, fmt.Errorf("decoding referrer %s: %w", ref.DigestStr(), err)
	}
	return &m, nil
}

// readBundle reads and parses the one layer of a bundle referrer,
// bounded by [MaxBundleSize], checking its digest.
func readBundle(ctx context.Context, ref name.Digest, m *bundleManifest,
	ropts []remote.Option) (*bundle.Bundle, error) {
	if len(m.Layers) != 1 {
		return nil, fmt.Errorf("bundle referrer has %d layers, want 1", len(m.Layers))
	}
	l := m.Layers[0]
	if l.Size > MaxBundleSize || l.Size < 0 {
		return nil, fmt.Errorf("bundle layer %s is %d bytes, more than the %d allowed",
			l.Digest, l.Size, MaxBundleSize)
	}
	data, err := readBlob(ctx, ref.Context().Digest(l.Digest.String()), l.Size, ropts)
	if err != nil {
		return nil, err
	}
	if sum := sha256.Sum256(data); l.Digest.Algorithm != "sha256" ||
		hex.EncodeToString(sum[:]) != l.Digest.Hex {
		return nil, fmt.Errorf("bundle layer %s: content does not match its digest", l.Digest)
	}
	var b bundle.Bundle
	if err := b.UnmarshalJSON(data); err != nil {
		return nil, fmt.Errorf("parsing bundle layer %s: %w", l.Digest, err)
	}
	return &b, nil
}

// readBlob reads a blob of the given size, refusing more.
func readBlob(ctx context.Context, ref name.Digest, size int64, ropts []remote.Option) (
	[]byte, error) {
	layer, err := remote.Layer(ref, withContext(ctx, ropts)...)
	if err != nil {
		return nil, fmt.Errorf("%w: reading bundle layer %s: %w", errRegistry, ref.DigestStr(), err)
	}
	rc, err := layer.Compressed()
	if err != nil {
		return nil, fmt.Errorf("%w: reading bundle layer %s: %w", errRegistry, ref.DigestStr(), err)
	}
	defer rc.Close()
	// ggcr checks the digest once the blob is read to its end.
	data, err := io.ReadAll(io.LimitReader(rc, size+1))
	if err != nil {
		return nil, fmt.Errorf("reading bundle layer %s: %w", ref.DigestStr(), err)
	}
	if int64(len(data)) != size {
		return nil, fmt.Errorf("bundle layer %s is not the %d bytes its descriptor gives",
			ref.DigestStr(), size)
	}
	return data, nil
}

// withContext adds ctx to ropts without modifying the caller's slice.
func withContext(ctx context.Context, ropts []remote.Option) []remote.Option {
	return append(ropts[:len(ropts):len(ropts)], remote.WithContext(ctx))
}
