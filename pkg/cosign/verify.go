package cosign

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/types"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/payload"
)

// The checks a verification can fail, as CheckError.Check names them.
const (
	// CheckSignature: the signature over a simple signing payload does not
	// verify with the key (or is missing or not base64).
	CheckSignature = "signature"
	// CheckPayload: the signed payload is not a simple signing document.
	CheckPayload = "payload"
	// CheckPayloadDigest: the payload's docker-manifest-digest is not the
	// image's digest (a signature moved from another image).
	CheckPayloadDigest = "payload-digest"
	// CheckEnvelope: an attestation layer is not a DSSE envelope holding an
	// in-toto statement.
	CheckEnvelope = "envelope"
	// CheckDSSESignature: the envelope's signature does not verify with the
	// key over the envelope's payload type and payload.
	CheckDSSESignature = "dsse-signature"
	// CheckSubjectDigest: no subject of the statement has the image's digest.
	CheckSubjectDigest = "subject-digest"
)

// CheckError is a verification verdict: the evidence was read, and Check
// (one of the Check constants) did not hold, for the reason in Err.
type CheckError struct {
	Check string
	Err   error
}

// Error implements error.
func (e *CheckError) Error() string {
	return fmt.Sprintf("%s check: %v", e.Check, e.Err)
}

// Unwrap returns the reason.
func (e *CheckError) Unwrap() error { return e.Err }

// VerifySignature checks one signature from the .sig tag against pub for the
// image digest d, with cosign.VerifyImageSignature: the signature must verify
// over the payload, and the payload must be a simple signing document whose
// docker-manifest-digest is d. The transparency log is not consulted. A failed
// check is a *CheckError naming it.
func VerifySignature(ctx context.Context, sig oci.Signature, d v1.Hash,
	pub signature.Verifier) error {
	if sig == nil || pub == nil {
		return errors.New("verifying signature: no signature or no key")
	}
	co := checkOpts(pub, simpleClaims)
	if _, err := cosign.VerifyImageSignature(ctx, sig, d, co); err != nil {
		return asCheckError(err, CheckSignature)
	}
	return nil
}

// VerifyAttestation checks one attestation from the .att tag against pub for
// the image digest d and returns the in-toto statement it carries (the JSON
// inside the envelope). The layer must be a DSSE envelope of payload type
// application/vnd.in-toto+json, its signature must verify with pub, and a
// subject of the statement must have d's digest. The checks are cosign's
// (verifyOCIAttestation and cosign.IntotoSubjectClaimVerifier, run through
// cosign.VerifyBlobAttestation: cosign.VerifyImageAttestation runs the same
// checks per layer but joins their errors into one string, which would lose
// which check failed). A failed check is a *CheckError naming it.
func VerifyAttestation(ctx context.Context, att oci.Signature, d v1.Hash,
	pub signature.Verifier) ([]byte, error) {
	if att == nil || pub == nil {
		return nil, errors.New("verifying attestation: no attestation or no key")
	}
	stmt, err := statementOf(att)
	if err != nil {
		return nil, &CheckError{Check: CheckEnvelope, Err: err}
	}
	co := checkOpts(pub, subjectClaims)
	if _, err := cosign.VerifyBlobAttestation(ctx, att, d, co); err != nil {
		return nil, asCheckError(err, CheckDSSESignature)
	}
	return stmt, nil
}

// checkOpts are the options for a key-pair verification with no
// transparency log, no certificate and no timestamp.
func checkOpts(pub signature.Verifier, claims claimVerifier) *cosign.CheckOpts {
	// Keyless verification has its own options (Keyless.checkOpts); a
	// key signature's Rekor bundle and timestamp are checked, when the
	// signer has a trusted root, by VerifyKeyProofs.
	return &cosign.CheckOpts{
		SigVerifier:   pub,
		ClaimVerifier: claims,
		IgnoreTlog:    true,
		IgnoreSCT:     true,
	}
}

// claimVerifier is the type of cosign.CheckOpts.ClaimVerifier.
type claimVerifier = func(oci.Signature, v1.Hash, map[string]interface{}) error

// simpleClaims runs cosign.SimpleClaimVerifier, telling a payload that is not a
// simple signing document from one about another image.
func simpleClaims(sig oci.Signature, h v1.Hash, ann map[string]interface{}) error {
	p, err := sig.Payload()
	if err != nil {
		return &CheckError{Check: CheckPayload, Err: fmt.Errorf("reading payload: %w", err)}
	}
	var doc payload.SimpleContainerImage
	if err := json.Unmarshal(p, &doc); err != nil {
		err = fmt.Errorf("decoding simple signing payload: %w", err)
		return &CheckError{Check: CheckPayload, Err: err}
	}
	if err := cosign.SimpleClaimVerifier(sig, h, ann); err != nil {
		err = fmt.Errorf("payload is not about %s: %w", h, err)
		return &CheckError{Check: CheckPayloadDigest, Err: err}
	}
	return nil
}

// subjectClaims runs cosign.IntotoSubjectClaimVerifier. statementOf has already
// checked that the envelope and statement decode.
func subjectClaims(sig oci.Signature, h v1.Hash, ann map[string]interface{}) error {
	if err := cosign.IntotoSubjectClaimVerifier(sig, h, ann); err != nil {
		err = fmt.Errorf("statement is not about %s: %w", h, err)
		return &CheckError{Check: CheckSubjectDigest, Err: err}
	}
	return nil
}

// statementOf decodes an attestation layer into the in-toto statement it
// carries, checking what cosign would otherwise report as a bare decoding
// error: the envelope, its payload type, its payload and the statement.
func statementOf(att oci.Signature) ([]byte, error) {
	env, err := envelopeOf(att)
	if err != nil {
		return nil, err
	}
	if env.PayloadType != types.IntotoPayloadType {
		return nil, fmt.Errorf("DSSE payload type is %q, want %q",
			env.PayloadType, types.IntotoPayloadType)
	}
	stmt, err := env.DecodeB64Payload()
	if err != nil {
		return nil, fmt.Errorf("decoding DSSE payload: %w", err)
	}
	if _, err := parseStatement(stmt); err != nil {
		return nil, err
	}
	return stmt, nil
}

// asCheckError returns err as a *CheckError: the one inside it if a claim
// check failed, or else a failure of check.
func asCheckError(err error, check string) error {
	var ce *CheckError
	if errors.As(err, &ce) {
		return ce
	}
	return &CheckError{Check: check, Err: err}
}

// VerifyKeyProofs checks, against tm, the proofs a key-pair signature or
// attestation carries beside it: its Rekor bundle (the signed entry
// timestamp must verify with a log key of tm, and the entry must be for
// this very signature and key) and its RFC 3161 timestamp (signed by an
// authority of tm). Either may be absent; what is there must verify. It
// returns the earliest time they prove, zero when there is neither. Call
// it after VerifySignature or VerifyAttestation has accepted the
// signature itself.
func VerifyKeyProofs(sig oci.Signature, pub signature.Verifier, tm root.TrustedMaterial) (time.Time, error) {
	if sig == nil || pub == nil || tm == nil {
		return time.Time{}, errors.New("verifying proofs: no signature, key or trusted material")
	}
	co := &cosign.CheckOpts{SigVerifier: pub, TrustedMaterial: tm, Offline: true}
	var at time.Time
	b, err := sig.Bundle()
	if err != nil {
		return time.Time{}, &CheckError{Check: CheckTlog, Err: err}
	}
	if b != nil {
		if _, err := cosign.VerifyBundle(sig, co); err != nil {
			return time.Time{}, &CheckError{Check: CheckTlog, Err: err}
		}
		at = time.Unix(b.Payload.IntegratedTime, 0)
	}
	ts, err := sig.RFC3161Timestamp()
	if err != nil {
		return time.Time{}, &CheckError{Check: CheckTimestamp, Err: err}
	}
	if ts != nil {
		t, err := verifyTimestamp(sig, co)
		if err != nil {
			return time.Time{}, &CheckError{Check: CheckTimestamp, Err: err}
		}
		if at.IsZero() || t.Time.Before(at) {
			at = t.Time
		}
	}
	return at, nil
}
