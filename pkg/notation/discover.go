package notation

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/notaryproject/notation-go/registry"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry/remote"
)

// Size limits for what discovery reads.
const (
	maxManifestBytes  = 4 << 20
	maxStatementBytes = 16 << 20
)

// Signature is one notation signature envelope attached to an artifact.
type Signature struct {
	// Repository is the repository the signature was found in,
	// "registry/path".
	Repository string
	// Subject is the artifact the signature is attached to, as the
	// registry describes it when asked by digest.
	Subject ocispec.Descriptor
	// Manifest is the signature manifest.
	Manifest ocispec.Descriptor
	// MediaType is the envelope's media type, JWS or COSE.
	MediaType string
	// Envelope is the signature envelope as stored.
	Envelope []byte
}

// Attestation is an in-toto statement stored as a referrer of an image,
// with the notation signatures attached to it.
type Attestation struct {
	// Repository is "registry/path", as for Signature.
	Repository string
	// Subject is the image the attestation is attached to.
	Subject ocispec.Descriptor
	// Manifest is the attestation's artifact manifest.
	Manifest ocispec.Descriptor
	// PredicateType is the type the manifest's annotation declares; it is
	// not verified.
	PredicateType string
	// Statement is the in-toto statement, read from the manifest's layer.
	Statement []byte
	// Signatures are the notation signatures on Manifest.
	Signatures []*Signature
}

// Evidence is what notation left attached to one image.
type Evidence struct {
	// Subject is the image.
	Subject      ocispec.Descriptor
	Signatures   []*Signature
	Attestations []*Attestation
}

// Discover lists the notation signatures and notation-signed attestations
// attached to the image d, through the referrers API or, where the
// registry lacks it, the referrers tag schema. Finding none is not an
// error.
func Discover(ctx context.Context, d name.Digest, opts RegistryOptions) (*Evidence, error) {
	r, err := opts.repository(d.Context())
	if err != nil {
		return nil, err
	}
	subject, err := resolve(ctx, r, d)
	if err != nil {
		return nil, err
	}
	refs, err := referrers(ctx, r, subject, "")
	if err != nil {
		return nil, err
	}
	f := fetcher{r: r, nr: registry.NewRepository(r), repo: d.Context().Name()}
	ev := &Evidence{Subject: subject}
	for _, ref := range refs {
		typ, err := f.artifactType(ctx, ref)
		if err != nil {
			return nil, err
		}
		switch typ {
		case ArtifactTypeSignature:
			s, err := f.signature(ctx, subject, ref)
			if err != nil {
				return nil, err
			}
			ev.Signatures = append(ev.Signatures, s)
		case ArtifactTypeInToto:
			a, err := f.attestation(ctx, subject, ref)
			if err != nil {
				return nil, err
			}
			ev.Attestations = append(ev.Attestations, a)
		}
	}
	return ev, nil
}

// referrers lists the manifests that name subject, filtered by artifact
// type when typ is set. oras-go tries the referrers API and falls back to
// the tag schema when the registry does not serve it.
func referrers(ctx context.Context, r *remote.Repository, subject ocispec.Descriptor,
	typ string) ([]ocispec.Descriptor, error) {
	var out []ocispec.Descriptor
	err := r.Referrers(ctx, subject, typ, func(page []ocispec.Descriptor) error {
		out = append(out, page...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing referrers of %s: %w", subject.Digest, err)
	}
	return out, nil
}

// fetcher reads referrers from one repository.
type fetcher struct {
	r    *remote.Repository
	nr   registry.Repository
	repo string
}

// artifactType returns a referrer's artifact type. Some registries report
// the config media type in its place, which for a manifest with an empty
// config says nothing; the manifest itself is read then.
func (f *fetcher) artifactType(ctx context.Context, desc ocispec.Descriptor) (string, error) {
	switch desc.ArtifactType {
	case ArtifactTypeSignature, ArtifactTypeInToto:
		return desc.ArtifactType, nil
	case "", ocispec.MediaTypeEmptyJSON:
	default:
		return desc.ArtifactType, nil
	}
	if desc.MediaType != ocispec.MediaTypeImageManifest {
		return desc.ArtifactType, nil
	}
	m, err := f.manifest(ctx, desc)
	if err != nil {
		return "", err
	}
	if m.ArtifactType != "" {
		return m.ArtifactType, nil
	}
	return m.Config.MediaType, nil
}

func (f *fetcher) manifest(ctx context.Context, desc ocispec.Descriptor) (*ocispec.Manifest, error) {
	if desc.Size > maxManifestBytes {
		return nil, fmt.Errorf("referrer %s: manifest of %d bytes is too large", desc.Digest, desc.Size)
	}
	b, err := content.FetchAll(ctx, f.r.Manifests(), desc)
	if err != nil {
		return nil, fmt.Errorf("reading referrer %s: %w", desc.Digest, err)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("decoding referrer %s: %w", desc.Digest, err)
	}
	return &m, nil
}

// signature reads the envelope of the signature manifest desc, attached to
// subject.
func (f *fetcher) signature(ctx context.Context, subject, desc ocispec.Descriptor) (*Signature, error) {
	env, envDesc, err := f.nr.FetchSignatureBlob(ctx, desc)
	if err != nil {
		return nil, fmt.Errorf("reading notation signature %s: %w", desc.Digest, err)
	}
	return &Signature{
		Repository: f.repo, Subject: subject, Manifest: desc,
		MediaType: envDesc.MediaType, Envelope: env,
	}, nil
}

// attestation reads the attestation manifest desc, its statement and the
// notation signatures attached to it.
func (f *fetcher) attestation(ctx context.Context, subject, desc ocispec.Descriptor) (*Attestation, error) {
	m, err := f.manifest(ctx, desc)
	if err != nil {
		return nil, err
	}
	if m.Subject == nil || m.Subject.Digest != subject.Digest {
		return nil, fmt.Errorf("attestation %s is not attached to %s", desc.Digest, subject.Digest)
	}
	if len(m.Layers) != 1 || m.Layers[0].MediaType != ArtifactTypeInToto {
		return nil, fmt.Errorf("attestation %s: want one %s layer", desc.Digest, ArtifactTypeInToto)
	}
	layer := m.Layers[0]
	if layer.Size > maxStatementBytes {
		return nil, fmt.Errorf("attestation %s: statement of %d bytes is too large", desc.Digest, layer.Size)
	}
	st, err := content.FetchAll(ctx, f.r.Blobs(), layer)
	if err != nil {
		return nil, fmt.Errorf("reading attestation %s: %w", desc.Digest, err)
	}
	a := &Attestation{
		Repository: f.repo, Subject: subject, Manifest: manifestDescriptor(desc),
		PredicateType: m.Annotations[AnnotationPredicateType], Statement: st,
	}
	sigs, err := referrers(ctx, f.r, a.Manifest, ArtifactTypeSignature)
	if err != nil {
		return nil, err
	}
	for _, sd := range sigs {
		if sd.ArtifactType != ArtifactTypeSignature {
			continue
		}
		s, err := f.signature(ctx, a.Manifest, sd)
		if err != nil {
			return nil, err
		}
		a.Signatures = append(a.Signatures, s)
	}
	return a, nil
}

// manifestDescriptor keeps what identifies a manifest, dropping what a
// referrers listing adds.
func manifestDescriptor(d ocispec.Descriptor) ocispec.Descriptor {
	return ocispec.Descriptor{MediaType: d.MediaType, Digest: d.Digest, Size: d.Size}
}
