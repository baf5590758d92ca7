package inspect

import (
	"context"
	"fmt"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sigstore/cosign/v2/pkg/oci"

	"github.com/vouchsec/vouch/pkg/cosign"
	"github.com/vouchsec/vouch/pkg/registry"
)

// Envelope names.
const (
	EnvelopeSimpleSigning = "simplesigning"
	EnvelopeDSSE          = "dsse"
)

// cosignItems lists the layers of d's cosign .sig and .att tags.
func (in *inspector) cosignItems(ctx context.Context, d name.Digest) ([]*Item, error) {
	ev, err := cosign.Fetch(ctx, d, in.ropts)
	if err != nil {
		return nil, registry.Classify(err)
	}
	var items []*Item
	for _, s := range ev.Signatures {
		it := cosignLayer(s, KindCosignSignature, cosignTag(d, "sig"))
		it.Envelope = EnvelopeSimpleSigning
		items = append(items, it)
	}
	for _, a := range ev.Attestations {
		it := cosignLayer(a, KindCosignAttestation, cosignTag(d, "att"))
		cosignAttestation(it, a)
		items = append(items, it)
	}
	return items, nil
}

// cosignTag names the tag cosign keeps d's evidence of a kind under.
func cosignTag(d name.Digest, suffix string) string {
	h, err := hashOf(d.DigestStr())
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%s-%s.%s", h.Algorithm, h.Hex, suffix)
}

// cosignLayer describes a layer of a cosign tag: its signer's
// certificate, if it has one, and the time a transparency log entry or a
// timestamp token records.
func cosignLayer(s oci.Signature, kind, tag string) *Item {
	it := &Item{Kind: kind, Storage: StorageTag, Tag: tag}
	if h, err := s.Digest(); err == nil {
		it.Digest = h.String()
	}
	if mt, err := s.MediaType(); err == nil {
		it.MediaType = string(mt)
	}
	if n, err := s.Size(); err == nil {
		it.Size = n
	}
	it.Signer = cosignSigner(s, it)
	if b, err := s.Bundle(); err == nil && b != nil && b.Payload.IntegratedTime > 0 {
		it.Created = time.Unix(b.Payload.IntegratedTime, 0).UTC()
		it.CreatedFrom = CreatedFromTransparencyLog
	} else if ts, err := s.RFC3161Timestamp(); err == nil && ts != nil {
		if t, err := tokenTime(ts.SignedRFC3161Timestamp); err == nil {
			it.Created, it.CreatedFrom = t, CreatedFromTimestamp
		} else {
			it.addError(fmt.Errorf("reading RFC 3161 timestamp: %w", err))
		}
	}
	return it
}

// cosignSigner returns the identity in the layer's certificate or, for a
// signature made with a key, says that the key is not known from it.
func cosignSigner(s oci.Signature, it *Item) *Signer {
	cert, err := s.Cert()
	if err != nil {
		it.addError(fmt.Errorf("reading certificate: %w", err))
		return keySigner("")
	}
	if cert == nil {
		return keySigner("")
	}
	return certSigner(cert)
}

// cosignAttestation reads the predicate type of a cosign attestation
// layer from the statement in its envelope, or from its annotation.
func cosignAttestation(it *Item, a oci.Signature) {
	it.Envelope = EnvelopeDSSE
	payload, err := a.Payload()
	if err != nil {
		it.addError(fmt.Errorf("reading envelope: %w", err))
		return
	}
	pt, err := dssePredicateType(payload)
	if err != nil {
		it.addError(err)
	}
	if pt == "" {
		if ann, err := a.Annotations(); err == nil {
			pt = ann[cosign.PredicateTypeAnnotation]
		}
	}
	it.PredicateType = pt
}

func (it *Item) addError(err error) {
	if it.Error != "" {
		it.Error += "; "
	}
	it.Error += err.Error()
}
