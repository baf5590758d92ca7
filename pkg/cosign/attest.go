package cosign

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	ssldsse "github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/mutate"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	"github.com/sigstore/cosign/v2/pkg/types"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/dsse"
	"github.com/sigstore/sigstore/pkg/signature/options"
)

// PredicateTypeAnnotation is the annotation on each layer of the .att tag
// that names the attestation's predicate type, as cosign attest sets it.
const PredicateTypeAnnotation = "predicateType"

// Attest signs an in-toto statement (already-built JSON) with sv in a DSSE
// envelope of payload type application/vnd.in-toto+json and appends it to the
// sha256-<hex>.att tag in d's repository, as cosign attest --key does: the
// layer's media type is application/vnd.dsse.envelope.v1+json and its
// predicateType annotation is predicateType. The statement must name d among
// its subjects and, when predicateType is not empty, carry that predicate
// type; an empty predicateType takes the statement's. If the tag already holds
// the same statement signed by the same key, nothing is written and written
// is false. Like Sign, Attest reads the tag and writes it back.
func Attest(ctx context.Context, d name.Digest, sv signature.SignerVerifier, statement []byte,
	predicateType string, ropts []remote.Option) (written bool, err error) {
	if sv == nil {
		return false, errors.New("attesting: no signer")
	}
	st, err := parseStatement(statement)
	if err != nil {
		return false, err
	}
	if predicateType, err = checkStatement(st, d, predicateType); err != nil {
		return false, err
	}
	att, err := signStatement(ctx, statement, predicateType, sv)
	if err != nil {
		return false, err
	}
	opts := registryOptions(ctx, ropts)
	dd := &dupeRecorder{DupeDetector: attestationDupes{verifier: sv}}
	se, err := mutate.AttachAttestationToEntity(ociremote.SignedUnknown(d, opts...), att,
		mutate.WithDupeDetector(dd))
	if err != nil {
		return false, fmt.Errorf("attaching attestation: %w", err)
	}
	list, err := se.Attestations()
	if err != nil {
		return false, fmt.Errorf("reading existing attestations of %s: %w", d, err)
	}
	if dd.found {
		return false, nil
	}
	err = ociremote.WriteAttestations(d.Repository, computed{se, nil, list}, opts...)
	if err != nil {
		return false, fmt.Errorf("writing attestation of %s: %w", d, err)
	}
	return true, nil
}

// signStatement wraps statement in a DSSE envelope signed by sv and makes the
// .att layer of it.
func signStatement(ctx context.Context, statement []byte, predicateType string,
	sv signature.Signer) (oci.Signature, error) {
	env, err := dsse.WrapSigner(sv, types.IntotoPayloadType).
		SignMessage(bytes.NewReader(statement), options.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("signing statement: %w", err)
	}
	att, err := static.NewAttestation(env,
		static.WithLayerMediaType(types.DssePayloadType),
		static.WithAnnotations(map[string]string{PredicateTypeAnnotation: predicateType}))
	if err != nil {
		return nil, fmt.Errorf("building attestation layer: %w", err)
	}
	return att, nil
}

// statement is the part of an in-toto statement that Attest checks.
type statement struct {
	Type          string `json:"_type"`
	PredicateType string `json:"predicateType"`
	Subject       []struct {
		Name   string            `json:"name"`
		Digest map[string]string `json:"digest"`
	} `json:"subject"`
}

// parseStatement decodes the fields of an in-toto statement that Attest and
// VerifyAttestation look at.
func parseStatement(b []byte) (*statement, error) {
	var st statement
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("decoding in-toto statement: %w", err)
	}
	if st.Type == "" {
		return nil, errors.New("decoding in-toto statement: no _type")
	}
	if st.PredicateType == "" {
		return nil, errors.New("decoding in-toto statement: no predicateType")
	}
	return &st, nil
}

// checkStatement checks that st names d and has the predicate type asked for,
// and returns the predicate type to annotate the layer with.
func checkStatement(st *statement, d name.Digest, predicateType string) (string, error) {
	if predicateType != "" && predicateType != st.PredicateType {
		return "", fmt.Errorf("statement has predicateType %q, not %q",
			st.PredicateType, predicateType)
	}
	h, err := v1.NewHash(d.DigestStr())
	if err != nil {
		return "", fmt.Errorf("parsing digest of %s: %w", d, err)
	}
	for _, s := range st.Subject {
		if s.Digest[h.Algorithm] == h.Hex {
			return st.PredicateType, nil
		}
	}
	return "", fmt.Errorf("statement has no subject with digest %s", h)
}

// attestationDupes finds an attestation that holds the same statement, with
// the same predicate type, signed by the same key. Cosign's own detector
// compares layer digests, which differ whenever the signature does: an ECDSA
// signature is randomized, so cosign attest run twice appends twice.
type attestationDupes struct {
	verifier signature.Verifier
}

// Find implements mutate.DupeDetector.
func (a attestationDupes) Find(existing oci.Signatures, att oci.Signature) (oci.Signature, error) {
	env, err := envelopeOf(att)
	if err != nil {
		return nil, err
	}
	want, err := att.Annotations()
	if err != nil {
		return nil, err
	}
	list, err := existing.Get()
	if err != nil {
		return nil, err
	}
	for _, old := range list {
		if a.same(old, env, want[PredicateTypeAnnotation]) {
			return old, nil
		}
	}
	return nil, nil
}

// same reports whether old carries env's payload, with predicate type pt,
// under a signature that a's verifier accepts.
func (a attestationDupes) same(old oci.Signature, env *ssldsse.Envelope, pt string) bool {
	ann, err := old.Annotations()
	if err != nil || ann[PredicateTypeAnnotation] != pt {
		return false
	}
	if mt, err := old.MediaType(); err != nil || mt != types.DssePayloadType {
		return false
	}
	raw, err := old.Payload()
	if err != nil {
		return false
	}
	var oldEnv ssldsse.Envelope
	if json.Unmarshal(raw, &oldEnv) != nil ||
		oldEnv.PayloadType != env.PayloadType || oldEnv.Payload != env.Payload {
		return false
	}
	return dsse.WrapVerifier(a.verifier).VerifySignature(bytes.NewReader(raw), nil) == nil
}

// envelopeOf decodes the DSSE envelope that an attestation layer holds.
func envelopeOf(att oci.Signature) (*ssldsse.Envelope, error) {
	raw, err := att.Payload()
	if err != nil {
		return nil, fmt.Errorf("reading attestation layer: %w", err)
	}
	var env ssldsse.Envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return nil, fmt.Errorf("decoding DSSE envelope: %w", err)
	}
	return &env, nil
}
