package cosign

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/cosign/v2/pkg/oci"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
)

// Evidence is what the .sig and .att tags of one image digest hold.
type Evidence struct {
	// Digest is the image the evidence is about.
	Digest name.Digest
	// Signatures are the layers of the sha256-<hex>.sig tag, in order.
	Signatures []oci.Signature
	// Attestations are the layers of the sha256-<hex>.att tag, in order.
	Attestations []oci.Signature
	// SigManifest and AttManifest describe the manifests the tags point at;
	// each is nil when its tag is absent or holds no layer.
	SigManifest, AttManifest *v1.Descriptor
}

// Fetch reads the signatures and attestations that cosign's tag scheme
// attaches to d: one manifest GET per tag and one blob GET per layer, all
// layers read up front so that verifying them makes no further request. A tag
// that does not exist is not an error: its part of the evidence is empty.
func Fetch(ctx context.Context, d name.Digest, ropts []remote.Option) (*Evidence, error) {
	opts := registryOptions(ctx, ropts)
	ev := &Evidence{Digest: d}
	sigTag, err := ociremote.SignatureTag(d, opts...)
	if err != nil {
		return nil, fmt.Errorf("naming signature tag of %s: %w", d, err)
	}
	if ev.Signatures, ev.SigManifest, err = fetchTag(sigTag, opts); err != nil {
		return nil, err
	}
	attTag, err := ociremote.AttestationTag(d, opts...)
	if err != nil {
		return nil, fmt.Errorf("naming attestation tag of %s: %w", d, err)
	}
	if ev.Attestations, ev.AttManifest, err = fetchTag(attTag, opts); err != nil {
		return nil, err
	}
	return ev, nil
}

// fetchTag reads every layer of tag. It returns no descriptor when the tag
// is absent (cosign reports that as an empty list) or empty.
func fetchTag(tag name.Tag, opts []ociremote.Option) ([]oci.Signature, *v1.Descriptor, error) {
	list, err := ociremote.Signatures(tag, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", tag, err)
	}
	layers, err := list.Get()
	if err != nil {
		return nil, nil, fmt.Errorf("reading layers of %s: %w", tag, err)
	}
	if len(layers) == 0 {
		return nil, nil, nil
	}
	desc, err := partial.Descriptor(list)
	if err != nil {
		return nil, nil, fmt.Errorf("describing manifest of %s: %w", tag, err)
	}
	out := make([]oci.Signature, 0, len(layers))
	for i, l := range layers {
		p, err := l.Payload()
		if err != nil {
			return nil, nil, fmt.Errorf("reading layer %d of %s: %w", i, tag, err)
		}
		out = append(out, &fetched{layer: l, payload: p})
	}
	return out, desc, nil
}

// fetched is a signature layer whose bytes were read once; everything else
// (annotations, digest, media type) comes from the manifest.
type fetched struct {
	layer
	payload []byte
}

// layer names oci.Signature for embedding: a field named Signature would hide
// the interface's Signature method.
type layer = oci.Signature

// Payload implements oci.Signature.
func (f *fetched) Payload() ([]byte, error) { return f.payload, nil }

// Compressed implements v1.Layer: signature layers are stored uncompressed.
func (f *fetched) Compressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(f.payload)), nil
}

// Uncompressed implements v1.Layer.
func (f *fetched) Uncompressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(f.payload)), nil
}
