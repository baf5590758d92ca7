package cosign

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	cbundle "github.com/sigstore/cosign/v2/pkg/cosign/bundle"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/mutate"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	"github.com/sigstore/cosign/v2/pkg/types"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore/pkg/signature/payload"
)

// Payload returns the simple signing payload that cosign signs for d: its
// docker-manifest-digest is d and its docker-reference d's repository.
func Payload(d name.Digest) ([]byte, error) {
	p, err := payload.Cosign{Image: d}.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("building signature payload: %w", err)
	}
	return p, nil
}

// SignatureFromBundle turns a Sigstore bundle whose message signature is
// over payload (made by pkg/sigstore, with a key or keyless) into the
// layer cosign stores in the .sig tag: the signature, and in annotations
// the Fulcio certificate, the Rekor bundle (entry and signed entry
// timestamp) and the RFC 3161 timestamp, those the bundle has.
func SignatureFromBundle(payload []byte, b *bundle.Bundle) (oci.Signature, error) {
	ms := b.GetMessageSignature()
	if ms == nil {
		return nil, errors.New("bundle has no message signature")
	}
	opts, err := classicOptions(b)
	if err != nil {
		return nil, err
	}
	sig, err := static.NewSignature(payload, base64.StdEncoding.EncodeToString(ms.GetSignature()), opts...)
	if err != nil {
		return nil, fmt.Errorf("building signature layer: %w", err)
	}
	return sig, nil
}

// Envelope returns the DSSE envelope of a Sigstore bundle in the JSON form
// that is the layer of cosign's .att tag: the form Rekor hashed when it
// logged it (sigstore-go uploads the protobuf envelope's json.Marshal), so
// that cosign's check of the Rekor bundle against the layer holds.
func Envelope(b *bundle.Bundle) ([]byte, error) {
	env := b.GetDsseEnvelope()
	if env == nil {
		return nil, errors.New("bundle has no DSSE envelope")
	}
	raw, err := json.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("encoding DSSE envelope: %w", err)
	}
	return raw, nil
}

// AttestationFromBundle turns a Sigstore bundle holding a DSSE envelope
// into the layer cosign stores in the .att tag, with tsr, when not nil,
// as its RFC 3161 timestamp. cosign timestamps a classic attestation over
// the whole envelope ([Envelope]), not over its signature as a bundle
// does, so a bundle that carries a timestamp is refused: sign without
// one and pass tsr.
func AttestationFromBundle(b *bundle.Bundle, predicateType string, tsr []byte) (oci.Signature, error) {
	raw, err := Envelope(b)
	if err != nil {
		return nil, err
	}
	if len(b.GetVerificationMaterial().GetTimestampVerificationData().GetRfc3161Timestamps()) > 0 {
		return nil, errors.New("the bundle's timestamp is over the DSSE signature; " +
			"cosign's classic attestation needs one over the envelope")
	}
	opts, err := classicOptions(b)
	if err != nil {
		return nil, err
	}
	if tsr != nil {
		opts = append(opts, static.WithRFC3161Timestamp(cbundle.TimestampToRFC3161Timestamp(tsr)))
	}
	opts = append(opts,
		static.WithLayerMediaType(types.DssePayloadType),
		static.WithAnnotations(map[string]string{PredicateTypeAnnotation: predicateType}))
	att, err := static.NewAttestation(raw, opts...)
	if err != nil {
		return nil, fmt.Errorf("building attestation layer: %w", err)
	}
	return att, nil
}

// classicOptions carries a bundle's verification material over to
// cosign's annotations. A bundle may hold one certificate (v0.3) or a
// chain (v0.1, v0.2): the first is the leaf, the rest the chain.
func classicOptions(b *bundle.Bundle) ([]static.Option, error) {
	var opts []static.Option
	vm := b.GetVerificationMaterial()
	var certs [][]byte
	if c := vm.GetCertificate(); c != nil {
		certs = append(certs, c.GetRawBytes())
	}
	for _, c := range vm.GetX509CertificateChain().GetCertificates() {
		certs = append(certs, c.GetRawBytes())
	}
	if len(certs) > 0 {
		var chain []byte
		for _, c := range certs[1:] {
			chain = append(chain, pemCert(c)...)
		}
		opts = append(opts, static.WithCertChain(pemCert(certs[0]), chain))
	}
	switch entries := vm.GetTlogEntries(); len(entries) {
	case 0:
	case 1:
		e := entries[0]
		set := e.GetInclusionPromise().GetSignedEntryTimestamp()
		if len(set) == 0 {
			// A Rekor v2 entry has no SET, which cosign's classic
			// bundle annotation cannot do without.
			return nil, errors.New("the log entry has no signed entry timestamp " +
				"for cosign's classic storage; use the bundle format")
		}
		opts = append(opts, static.WithBundle(&cbundle.RekorBundle{
			SignedEntryTimestamp: set,
			Payload: cbundle.RekorPayload{
				Body:           base64.StdEncoding.EncodeToString(e.GetCanonicalizedBody()),
				IntegratedTime: e.GetIntegratedTime(),
				LogIndex:       e.GetLogIndex(),
				LogID:          hex.EncodeToString(e.GetLogId().GetKeyId()),
			},
		}))
	default:
		return nil, fmt.Errorf("the bundle has %d log entries; cosign's classic storage holds one",
			len(entries))
	}
	switch stamps := vm.GetTimestampVerificationData().GetRfc3161Timestamps(); len(stamps) {
	case 0:
	case 1:
		opts = append(opts, static.WithRFC3161Timestamp(
			cbundle.TimestampToRFC3161Timestamp(stamps[0].GetSignedTimestamp())))
	default:
		return nil, fmt.Errorf("the bundle has %d timestamps; cosign's classic storage holds one",
			len(stamps))
	}
	return opts, nil
}

func pemCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// AppendSignature adds sig to the sha256-<hex>.sig tag of d as it is,
// with no check for duplicates: a keyless signature has a key and
// certificate of its own, so no earlier signature is ever the same.
func AppendSignature(ctx context.Context, d name.Digest, sig oci.Signature, ropts []remote.Option) error {
	opts := registryOptions(ctx, ropts)
	se, err := mutate.AttachSignatureToEntity(ociremote.SignedUnknown(d, opts...), sig)
	if err != nil {
		return fmt.Errorf("attaching signature: %w", err)
	}
	if err := ociremote.WriteSignatures(d.Repository, se, opts...); err != nil {
		return fmt.Errorf("writing signature of %s: %w", d, err)
	}
	return nil
}

// AppendAttestation adds att to the sha256-<hex>.att tag of d, as
// AppendSignature does for signatures.
func AppendAttestation(ctx context.Context, d name.Digest, att oci.Signature, ropts []remote.Option) error {
	opts := registryOptions(ctx, ropts)
	se, err := mutate.AttachAttestationToEntity(ociremote.SignedUnknown(d, opts...), att)
	if err != nil {
		return fmt.Errorf("attaching attestation: %w", err)
	}
	if err := ociremote.WriteAttestations(d.Repository, se, opts...); err != nil {
		return fmt.Errorf("writing attestation of %s: %w", d, err)
	}
	return nil
}

// CheckStatement checks that an in-toto statement names d among its
// subjects and, when predicateType is not empty, has that predicate type,
// as Attest does; it returns the statement's predicate type.
func CheckStatement(statement []byte, d name.Digest, predicateType string) (string, error) {
	st, err := parseStatement(statement)
	if err != nil {
		return "", err
	}
	return checkStatement(st, d, predicateType)
}
