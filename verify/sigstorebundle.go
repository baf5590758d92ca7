package verify

import (
	"context"
	"crypto"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"

	vcosign "github.com/vouchsec/vouch/pkg/cosign"
	"github.com/vouchsec/vouch/pkg/policy"
	"github.com/vouchsec/vouch/pkg/sigstore"
)

// SigstoreBundleBackend reads the bundle format of cosign v3 (and of
// cosign v2 with --new-bundle-format): Sigstore bundles stored as OCI 1.1
// referrers of the image. A bundle whose statement has cosign's sign
// predicate type is a signature; any other statement is an attestation.
// Cosign signers verify them, keys and keyless alike.
type SigstoreBundleBackend struct {
	remote []remote.Option
}

// NewSigstoreBundleBackend returns a backend that reads with the given
// registry options.
func NewSigstoreBundleBackend(ropts []remote.Option) *SigstoreBundleBackend {
	return &SigstoreBundleBackend{remote: ropts}
}

// Name implements [Backend].
func (b *SigstoreBundleBackend) Name() string { return "sigstore-bundle" }

// SignerKind implements [SignerKinded]: cosign signers.
func (b *SigstoreBundleBackend) SignerKind() string { return "cosign" }

// Discover implements [Backend]. A referrer that cannot be read as a
// bundle, or holds one vouch cannot use on an image, is evidence that no
// signer verifies, with the reason.
func (b *SigstoreBundleBackend) Discover(ctx context.Context, d name.Digest) ([]Evidence, error) {
	refs, err := vcosign.FetchBundles(ctx, d, b.remote)
	if err != nil {
		return nil, err
	}
	out := make([]Evidence, 0, len(refs))
	for _, r := range refs {
		e := &bundleEvidence{kind: KindSignature, b: r.Bundle, err: r.Err,
			source: fmt.Sprintf("%s@%s referrer %s", d.Context().Name(), d.DigestStr(), r.Digest)}
		if e.err == nil {
			e.classify()
		}
		out = append(out, e)
	}
	return out, nil
}

// errMessageSignature refuses a bundle that signs a digest directly: cosign
// signs an image with a DSSE statement, and vouch verifies only those.
var errMessageSignature = errors.New("bundle: a message-signature bundle on an image " +
	"is not supported; cosign signs images with a DSSE in-toto statement")

// bundleEvidence is one bundle referrer.
type bundleEvidence struct {
	kind          Kind
	source        string
	predicateType string
	b             *bundle.Bundle
	// statement is the envelope's payload, unverified until Verify.
	statement []byte
	// err is why the evidence cannot verify with any signer.
	err error
}

// classify reads the statement the envelope carries, unverified, to tell a
// signature from an attestation.
func (e *bundleEvidence) classify() {
	env, err := e.b.Envelope()
	if err != nil {
		e.err = errMessageSignature
		return
	}
	if env.PayloadType != sigstore.InTotoPayloadType {
		e.err = fmt.Errorf("bundle: DSSE payload type %q is not an in-toto statement",
			env.PayloadType)
		return
	}
	raw, err := env.DecodeB64Payload()
	var st struct {
		PredicateType string `json:"predicateType"`
	}
	if err == nil {
		err = json.Unmarshal(raw, &st)
	}
	if err != nil {
		e.err = fmt.Errorf("bundle: reading statement: %w", err)
		return
	}
	e.statement = raw
	if st.PredicateType != vcosign.SignPredicateType {
		e.kind, e.predicateType = KindAttestation, st.PredicateType
	}
}

func (e *bundleEvidence) Kind() Kind            { return e.kind }
func (e *bundleEvidence) Source() string        { return e.source }
func (e *bundleEvidence) PredicateType() string { return e.predicateType }

// Verify implements [Evidence]: the bundle must verify offline against the
// signer's key or identity, and its statement must name digest d.
func (e *bundleEvidence) Verify(ctx context.Context, d v1.Hash,
	s *policy.Signer) (*Verified, error) {
	if s.Cosign == nil {
		return nil, ErrSignerKind
	}
	if e.err != nil {
		return nil, e.err
	}
	value, err := hex.DecodeString(d.Hex)
	if err != nil {
		return nil, fmt.Errorf("digest %s: %w", d, err)
	}
	opts := sigstore.Options{Digest: &sigstore.Digest{Algorithm: d.Algorithm, Value: value}}
	var v *Verified
	if k := s.Cosign.Keyless; k != nil {
		v, err = e.verifyKeyless(ctx, k, opts)
	} else {
		v, err = e.verifyKey(ctx, s.Cosign, opts)
	}
	if err != nil {
		return nil, err
	}
	if e.kind == KindAttestation {
		v.Statement = e.statement
	}
	return v, nil
}

// KeylessOptions says what a Sigstore bundle must prove for the keyless
// signer k: its trusted root, identity (the subject regexp as the file
// writes it: sigstore.Verify anchors it), claims and required proofs. The
// caller adds the artifact. A signer whose public root was not fetched is
// refused.
func KeylessOptions(k *policy.KeylessSigner) (sigstore.Options, error) {
	if k.TrustedRoot == nil {
		return sigstore.Options{}, errNoPublicRoot
	}
	return sigstore.Options{TrustedRoot: k.TrustedRoot,
		Identity: sigstore.Identity{Issuer: k.Issuer, Subject: k.Subject,
			SubjectRegexp: k.SubjectRegexp, Extensions: k.Claims},
		RequireTlog: k.RequireTlog, RequireTimestamp: k.RequireTimestamp}, nil
}

func (e *bundleEvidence) verifyKeyless(ctx context.Context, k *policy.KeylessSigner,
	opts sigstore.Options) (*Verified, error) {
	ko, err := KeylessOptions(k)
	if err != nil {
		return nil, err
	}
	ko.Digest = opts.Digest
	res, err := sigstore.Verify(ctx, e.b, ko)
	if err != nil {
		return nil, err
	}
	v := &Verified{SignedAt: signedAt(res), KeyID: "fulcio:" + k.Issuer}
	if res.Signature != nil && res.Signature.Certificate != nil {
		c := res.Signature.Certificate
		v.KeyID = "fulcio:" + c.Issuer + " " + c.SubjectAlternativeName
		v.Identity = keylessIdentity(c.SubjectAlternativeName, c.Issuer)
	}
	return v, nil
}

func (e *bundleEvidence) verifyKey(ctx context.Context, c *policy.CosignSigner,
	opts sigstore.Options) (*Verified, error) {
	key, err := signature.LoadVerifier(c.PublicKey, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("loading public key: %w", err)
	}
	opts.Key = key
	if c.TrustedRoot != nil {
		opts.TrustedRoot = c.TrustedRoot
	} else {
		if err := e.needsTrustedRoot(); err != nil {
			return nil, err
		}
		// With nothing to trust, a bundle that proves no log entry or
		// timestamp is refused by pkg/sigstore's own check.
		opts.TrustedRoot = &root.TrustedRoot{}
	}
	res, err := sigstore.Verify(ctx, e.b, opts)
	if err != nil {
		return nil, err
	}
	return &Verified{SignedAt: signedAt(res), KeyID: keyID(c.PublicKey)}, nil
}

// needsTrustedRoot refuses, for a key signer without a trusted root, a
// bundle whose log entry or timestamp could not be checked.
func (e *bundleEvidence) needsTrustedRoot() error {
	entries, err := e.b.TlogEntries()
	if err != nil {
		return &sigstore.VerificationError{Check: sigstore.CheckBundle, Err: err}
	}
	if len(entries) > 0 {
		return &sigstore.VerificationError{Check: sigstore.CheckTlog, Err: errors.New(
			"the bundle has a transparency log entry and the signer has no trustedRoot to check it")}
	}
	stamps, err := e.b.Timestamps()
	if err != nil {
		return &sigstore.VerificationError{Check: sigstore.CheckBundle, Err: err}
	}
	if len(stamps) > 0 {
		return &sigstore.VerificationError{Check: sigstore.CheckTimestamp, Err: errors.New(
			"the bundle has an RFC 3161 timestamp and the signer has no trustedRoot to check it")}
	}
	return nil
}

// signedAt is the earliest verified signing time; zero when there is none.
func signedAt(res *sgverify.VerificationResult) (t time.Time) {
	for _, ts := range res.VerifiedTimestamps {
		if t.IsZero() || ts.Timestamp.Before(t) {
			t = ts.Timestamp
		}
	}
	return t
}
