package notation

import (
	"errors"
	"fmt"
	"time"

	notationgo "github.com/notaryproject/notation-go"
	"github.com/notaryproject/notation-go/verifier/trustpolicy"
	"github.com/notaryproject/tspclient-go"
)

// The checks a verification can fail, as CheckError.Check names them. The
// first five are the Notary Project trust policy's validation types.
const (
	// CheckIntegrity: the envelope does not parse, or its signature does
	// not verify over its content (a tampered envelope).
	CheckIntegrity = string(trustpolicy.TypeIntegrity)
	// CheckAuthenticity: the certificate chain is not anchored in the trust
	// store, or the signing certificate matches no trusted identity.
	CheckAuthenticity = string(trustpolicy.TypeAuthenticity)
	// CheckAuthenticTimestamp: no trusted timestamp proves the signing
	// certificate was valid when the signature was made (for example, it
	// has expired and there is no timestamp).
	CheckAuthenticTimestamp = string(trustpolicy.TypeAuthenticTimestamp)
	// CheckExpiry: the signature's own expiry time has passed.
	CheckExpiry = string(trustpolicy.TypeExpiry)
	// CheckRevocation: a certificate of the chain is revoked, or its
	// status could not be learned.
	CheckRevocation = string(trustpolicy.TypeRevocation)
	// CheckTargetArtifact: the signed payload describes another artifact
	// than the one the signature is attached to.
	CheckTargetArtifact = "target-artifact"
	// CheckUserMetadata: signed annotations required by the caller are
	// missing.
	CheckUserMetadata = "user-metadata"
	// CheckSubjectDigest: an attestation's statement is not about the
	// image it is attached to.
	CheckSubjectDigest = "subject-digest"
	// CheckTrustPolicy: no trust policy statement applies to the artifact,
	// or verification could not run at all.
	CheckTrustPolicy = "trust-policy"
)

// CheckError is a verification verdict: the signature was read, and Check
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

// checkErrorOf names the check that made notation-go reject a signature:
// the first enforced validation that failed, or else a mismatch found
// after the envelope verified.
func checkErrorOf(o *notationgo.VerificationOutcome, err error) *CheckError {
	for _, vr := range o.VerificationResults {
		if vr.Error != nil && vr.Action == trustpolicy.ActionEnforce {
			return &CheckError{Check: string(vr.Type), Err: vr.Error}
		}
	}
	var um notationgo.UserMetadataVerificationFailedError
	if errors.As(err, &um) {
		return &CheckError{Check: CheckUserMetadata, Err: err}
	}
	if o.EnvelopeContent != nil {
		// The envelope verified; what remains is notation-go's comparison
		// of the signed descriptor with the artifact's.
		return &CheckError{Check: CheckTargetArtifact, Err: err}
	}
	return &CheckError{Check: CheckTrustPolicy, Err: err}
}

// signedAt returns the signing time the outcome proves: a signing
// authority's authentic signing time, or the time of a timestamp
// countersignature that notation-go verified against a trusted TSA root.
func signedAt(o *notationgo.VerificationOutcome, tsaTrusted bool) time.Time {
	if o.EnvelopeContent == nil {
		return time.Time{}
	}
	si := &o.EnvelopeContent.SignerInfo
	if !passed(o, trustpolicy.TypeAuthenticTimestamp) {
		return time.Time{}
	}
	if t, err := si.AuthenticSigningTime(); err == nil {
		return t
	}
	if !tsaTrusted || len(si.UnsignedAttributes.TimestampSignature) == 0 {
		return time.Time{}
	}
	token, err := tspclient.ParseSignedToken(si.UnsignedAttributes.TimestampSignature)
	if err != nil {
		return time.Time{}
	}
	info, err := token.Info()
	if err != nil {
		return time.Time{}
	}
	ts, err := info.Validate(si.Signature)
	if err != nil {
		return time.Time{}
	}
	return ts.Value.Add(-ts.Accuracy)
}

// passed reports whether the validation of type t ran, was not skipped and
// did not fail.
func passed(o *notationgo.VerificationOutcome, t trustpolicy.ValidationType) bool {
	for _, vr := range o.VerificationResults {
		if vr.Type == t {
			return vr.Error == nil && vr.Action != trustpolicy.ActionSkip
		}
	}
	return false
}
