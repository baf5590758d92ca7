package verify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	vnotation "github.com/vouchsec/vouch/pkg/notation"
	"github.com/vouchsec/vouch/pkg/policy"
)

// NotationBackend reads Notary Project (notation) signatures and
// notation-signed attestations stored as OCI referrers of the image, or
// under the referrers tag schema.
type NotationBackend struct {
	registry vnotation.RegistryOptions
	opts     vnotation.VerifyOptions

	mu        sync.Mutex
	verifiers map[verifierKey]*vnotation.Verifier
}

type verifierKey struct {
	signer *policy.NotationSigner
	scope  string
}

// NewNotationBackend returns a backend that reads registries with reg and
// verifies with opts.
func NewNotationBackend(reg vnotation.RegistryOptions, opts vnotation.VerifyOptions) *NotationBackend {
	return &NotationBackend{registry: reg, opts: opts, verifiers: map[verifierKey]*vnotation.Verifier{}}
}

// Name implements [Backend].
func (b *NotationBackend) Name() string { return "notation" }

// SignerKind implements [SignerKinded]: notation signers.
func (b *NotationBackend) SignerKind() string { return "notation" }

// Discover implements [Backend].
func (b *NotationBackend) Discover(ctx context.Context, d name.Digest) ([]Evidence, error) {
	ev, err := vnotation.Discover(ctx, d, b.registry)
	if err != nil {
		return nil, err
	}
	var out []Evidence
	for _, s := range ev.Signatures {
		out = append(out, &notationEvidence{b: b, kind: KindSignature, sigs: []*vnotation.Signature{s},
			source: fmt.Sprintf("%s@%s (notation signature)", s.Repository, s.Manifest.Digest)})
	}
	for _, a := range ev.Attestations {
		out = append(out, &notationEvidence{b: b, kind: KindAttestation, att: a,
			sigs: a.Signatures, predicateType: a.PredicateType,
			source: fmt.Sprintf("%s@%s (notation-signed attestation)", a.Repository, a.Manifest.Digest)})
	}
	return out, nil
}

// verifier builds each signer's notation verifier once per scope.
func (b *NotationBackend) verifier(s *policy.NotationSigner, scope string) (*vnotation.Verifier, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	k := verifierKey{signer: s, scope: scope}
	if v, ok := b.verifiers[k]; ok {
		return v, nil
	}
	v, err := vnotation.NewVerifier(s, scope, b.opts)
	if err != nil {
		return nil, err
	}
	b.verifiers[k] = v
	return v, nil
}

type notationEvidence struct {
	b             *NotationBackend
	kind          Kind
	sigs          []*vnotation.Signature
	att           *vnotation.Attestation
	source        string
	predicateType string
}

func (e *notationEvidence) Kind() Kind            { return e.kind }
func (e *notationEvidence) Source() string        { return e.source }
func (e *notationEvidence) PredicateType() string { return e.predicateType }

// Verify implements [Evidence]: a notation signer's trust store,
// identities and level decide, through notation-go's verifier.
func (e *notationEvidence) Verify(ctx context.Context, d v1.Hash, s *policy.Signer) (*Verified, error) {
	if s.Notation == nil {
		return nil, ErrSignerKind
	}
	subject := e.subjectDigest()
	if subject != d.String() {
		return nil, &vnotation.CheckError{Check: vnotation.CheckTargetArtifact,
			Err: fmt.Errorf("evidence is attached to %s, not %s", subject, d)}
	}
	if len(e.sigs) == 0 {
		return nil, errors.New("no notation signature")
	}
	v, err := e.b.verifier(s.Notation, e.sigs[0].Repository)
	if err != nil {
		return nil, err
	}
	if e.kind == KindAttestation {
		res, err := vnotation.VerifyAttestation(ctx, v, e.att)
		if err != nil {
			return nil, err
		}
		return &Verified{Statement: e.att.Statement, SignedAt: res.SignedAt, Notes: notes(res)}, nil
	}
	res, err := v.Verify(ctx, e.sigs[0])
	if err != nil {
		return nil, err
	}
	return &Verified{SignedAt: res.SignedAt, Notes: notes(res), KeyID: certKeyID(res)}, nil
}

// certKeyID names the signing certificate's key; empty at level skip,
// where no certificate is looked at.
func certKeyID(res *vnotation.Result) string {
	if res.Certificate == nil {
		return ""
	}
	sum := sha256.Sum256(res.Certificate.RawSubjectPublicKeyInfo)
	return "spki:" + hex.EncodeToString(sum[:])
}

// notes says what a notation level let through: a skipped verification,
// or checks that failed and were only logged.
func notes(res *vnotation.Result) []string {
	if res.Skipped {
		return []string{"level skip: the signature was not verified"}
	}
	var out []string
	for _, l := range res.Logged {
		out = append(out, fmt.Sprintf("level %s: %s failed and was only logged: %v", res.Level, l.Check, l.Err))
	}
	return out
}

func (e *notationEvidence) subjectDigest() string {
	if e.att != nil {
		return e.att.Subject.Digest.String()
	}
	return e.sigs[0].Subject.Digest.String()
}
