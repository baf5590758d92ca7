package verify

import (
	"context"
	"errors"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/vouchsec/vouch/pkg/policy"
)

// Kind tells a signature from an attestation.
type Kind string

// The kinds of evidence.
const (
	KindSignature   Kind = "signature"
	KindAttestation Kind = "attestation"
)

// ErrSignerKind is returned by [Evidence.Verify] when the signer is of a kind
// the evidence's backend cannot check (a notation identity against a cosign
// signature, say). The engine skips such pairs silently.
var ErrSignerKind = errors.New("signer kind does not apply to this evidence")

// SignerKinded is implemented by a backend whose evidence only signers of
// one kind ([policy.Signer.Kind]) can verify. The engine does not consult
// such a backend when the policy has no signer of that kind.
type SignerKinded interface {
	SignerKind() string
}

// Backend discovers the evidence one storage format holds for a digest.
type Backend interface {
	// Name is the backend's short name, such as "cosign".
	Name() string
	// Discover returns every piece of evidence attached to d. Finding none
	// is not an error.
	Discover(ctx context.Context, d name.Digest) ([]Evidence, error)
}

// Evidence is one signature or attestation found for a digest.
type Evidence interface {
	Kind() Kind
	// Source says where the evidence was found, for reports.
	Source() string
	// PredicateType is the attestation's declared predicate type, as stored
	// beside it (unverified); empty for signatures.
	PredicateType() string
	// Verify checks the evidence for digest d against one signer. For an
	// attestation it returns the verified in-toto statement.
	Verify(ctx context.Context, d v1.Hash, s *policy.Signer) (*Verified, error)
}

// Verified is what a successful [Evidence.Verify] proves.
type Verified struct {
	// Statement is the in-toto statement an attestation's envelope signs.
	Statement []byte
	// SignedAt is a signing time proven by a log or timestamp authority;
	// zero when the evidence carries none.
	SignedAt time.Time
	// KeyID names the key that made the signature (a public key
	// fingerprint, or for a keyless signature its certificate's issuer and
	// identity), so that one key counts once in allOf and threshold
	// whatever signer names it appears under; empty when the backend
	// cannot say.
	KeyID string
	// Identity is who a certificate-based signature's certificate names,
	// for the report: a keyless signature's subject and OIDC issuer; empty
	// for a key.
	Identity string
	// Notes are what the report should say about a pass that is not a
	// full one, such as checks a notation level only logs.
	Notes []string
}
