package cosign

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	cremote "github.com/sigstore/cosign/v2/pkg/cosign/remote"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/mutate"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/options"
	"github.com/sigstore/sigstore/pkg/signature/payload"
)

// Sign signs d with sv the way cosign sign --key does: the payload is a simple
// signing document whose docker-manifest-digest is d and whose
// docker-reference is d's repository, and the signature is appended to the
// sha256-<hex>.sig tag in d's repository with ociremote.WriteSignatures. If the
// tag already holds a signature by the same key over the same payload (found
// with cosign's verifier-based duplicate detector), nothing is written and
// written is false. Like cosign, Sign reads the tag and writes it back, so two
// signers writing the same digest's tag at once can lose one signature.
func Sign(ctx context.Context, d name.Digest, sv signature.SignerVerifier,
	ropts []remote.Option) (written bool, err error) {
	if sv == nil {
		return false, errors.New("signing: no signer")
	}
	sig, err := signPayload(ctx, d, sv)
	if err != nil {
		return false, err
	}
	opts := registryOptions(ctx, ropts)
	dd := &dupeRecorder{DupeDetector: cremote.NewDupeDetector(sv)}
	se, err := mutate.AttachSignatureToEntity(ociremote.SignedUnknown(d, opts...), sig,
		mutate.WithDupeDetector(dd))
	if err != nil {
		return false, fmt.Errorf("attaching signature: %w", err)
	}
	// Computing the new list reads the tag once; the write reuses the list.
	list, err := se.Signatures()
	if err != nil {
		return false, fmt.Errorf("reading existing signatures of %s: %w", d, err)
	}
	if dd.found {
		return false, nil
	}
	if err := ociremote.WriteSignatures(d.Repository, computed{se, list, nil}, opts...); err != nil {
		return false, fmt.Errorf("writing signature of %s: %w", d, err)
	}
	return true, nil
}

// signPayload builds and signs the simple signing payload for d, as cosign's
// payload signer does.
func signPayload(ctx context.Context, d name.Digest, sv signature.Signer) (oci.Signature, error) {
	p, err := payload.Cosign{Image: d}.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("building signature payload: %w", err)
	}
	raw, err := sv.SignMessage(bytes.NewReader(p), options.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("signing payload: %w", err)
	}
	sig, err := static.NewSignature(p, base64.StdEncoding.EncodeToString(raw))
	if err != nil {
		return nil, fmt.Errorf("building signature layer: %w", err)
	}
	return sig, nil
}

// registryOptions turns ggcr options into cosign's, with ctx bounding every
// request. The caller's slice is not modified.
func registryOptions(ctx context.Context, ropts []remote.Option) []ociremote.Option {
	ro := append(slices.Clip(ropts), remote.WithContext(ctx))
	return []ociremote.Option{ociremote.WithRemoteOptions(ro...)}
}

// dupeRecorder is a mutate.DupeDetector that remembers whether it found a
// duplicate, so that the caller can skip a write that would change nothing.
type dupeRecorder struct {
	mutate.DupeDetector
	found bool
}

// Find implements mutate.DupeDetector.
func (r *dupeRecorder) Find(existing oci.Signatures, s oci.Signature) (oci.Signature, error) {
	dup, err := r.DupeDetector.Find(existing, s)
	if dup != nil {
		r.found = true
	}
	return dup, err
}

// computed is a signed entity whose signature and attestation lists were
// already computed, so that writing it does not read the tags again.
type computed struct {
	oci.SignedEntity
	sigs, atts oci.Signatures
}

// Signatures implements oci.SignedEntity.
func (c computed) Signatures() (oci.Signatures, error) {
	if c.sigs == nil {
		return c.SignedEntity.Signatures()
	}
	return c.sigs, nil
}

// Attestations implements oci.SignedEntity.
func (c computed) Attestations() (oci.Signatures, error) {
	if c.atts == nil {
		return c.SignedEntity.Attestations()
	}
	return c.atts, nil
}
