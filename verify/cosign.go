package verify

import (
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"

	vcosign "github.com/vouchsec/vouch/pkg/cosign"
	"github.com/vouchsec/vouch/pkg/policy"
)

// CosignBackend reads cosign's classic storage: the sha256-<hex>.sig and
// sha256-<hex>.att tags beside the image.
type CosignBackend struct {
	remote []remote.Option

	mu        sync.Mutex
	verifiers map[string]signature.Verifier
}

// NewCosignBackend returns a backend that reads with the given registry
// options.
func NewCosignBackend(ropts []remote.Option) *CosignBackend {
	return &CosignBackend{remote: ropts, verifiers: map[string]signature.Verifier{}}
}

// Name implements [Backend].
func (b *CosignBackend) Name() string { return "cosign" }

// SignerKind implements [SignerKinded]: cosign signers.
func (b *CosignBackend) SignerKind() string { return "cosign" }

// Discover implements [Backend].
func (b *CosignBackend) Discover(ctx context.Context, d name.Digest) ([]Evidence, error) {
	ev, err := vcosign.Fetch(ctx, d, b.remote)
	if err != nil {
		return nil, err
	}
	var out []Evidence
	for i, s := range ev.Signatures {
		src := fmt.Sprintf("%s:%s.sig layer %d", d.Context().Name(), tagOf(d), i+1)
		out = append(out, &cosignEvidence{b: b, kind: KindSignature, sig: s, source: src})
	}
	for i, s := range ev.Attestations {
		src := fmt.Sprintf("%s:%s.att layer %d", d.Context().Name(), tagOf(d), i+1)
		e := &cosignEvidence{b: b, kind: KindAttestation, sig: s, source: src}
		if ann, err := s.Annotations(); err == nil {
			e.predicateType = ann["predicateType"]
		}
		out = append(out, e)
	}
	return out, nil
}

func tagOf(d name.Digest) string {
	h, err := v1.NewHash(d.DigestStr())
	if err != nil {
		return d.DigestStr()
	}
	return h.Algorithm + "-" + h.Hex
}

// verifier loads each signer's key once per backend.
func (b *CosignBackend) verifier(s *policy.Signer) (signature.Verifier, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if v, ok := b.verifiers[s.Name]; ok {
		return v, nil
	}
	v, err := signature.LoadVerifier(s.Cosign.PublicKey, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("loading public key: %w", err)
	}
	b.verifiers[s.Name] = v
	return v, nil
}

// keyID names a public key by the SHA-256 of its DER form; "" when it does
// not marshal, which leaves the signer counted as its own key.
func keyID(pub crypto.PublicKey) string {
	der, err := cryptoutils.MarshalPublicKeyToDER(pub)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(der)
	return "spki:" + hex.EncodeToString(sum[:])
}

type cosignEvidence struct {
	b             *CosignBackend
	kind          Kind
	sig           oci.Signature
	source        string
	predicateType string
}

func (e *cosignEvidence) Kind() Kind            { return e.kind }
func (e *cosignEvidence) Source() string        { return e.source }
func (e *cosignEvidence) PredicateType() string { return e.predicateType }

func (e *cosignEvidence) Verify(ctx context.Context, d v1.Hash, s *policy.Signer) (*Verified, error) {
	if s.Cosign == nil {
		return nil, ErrSignerKind
	}
	if s.Cosign.Keyless != nil {
		return e.verifyKeyless(ctx, d, s.Cosign.Keyless)
	}
	v, err := e.b.verifier(s)
	if err != nil {
		return nil, err
	}
	out := &Verified{KeyID: keyID(s.Cosign.PublicKey)}
	if e.kind == KindSignature {
		err = vcosign.VerifySignature(ctx, e.sig, d, v)
	} else {
		out.Statement, err = vcosign.VerifyAttestation(ctx, e.sig, d, v)
	}
	if err != nil {
		return nil, err
	}
	// A signer with a trusted root checks the Rekor entry and timestamp
	// the signature carries; one without ignores them, as cosign does
	// with --insecure-ignore-tlog.
	if tr := s.Cosign.TrustedRoot; tr != nil {
		if out.SignedAt, err = vcosign.VerifyKeyProofs(e.sig, v, tr); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// verifyKeyless checks the evidence against a keyless signer, offline,
// with the signer's trusted root.
func (e *cosignEvidence) verifyKeyless(ctx context.Context, d v1.Hash,
	k *policy.KeylessSigner) (*Verified, error) {
	if k.TrustedRoot == nil {
		return nil, errNoPublicRoot
	}
	kl := &vcosign.Keyless{
		TrustedMaterial:  k.TrustedRoot,
		Issuer:           k.Issuer,
		Subject:          k.Subject,
		SubjectRegexp:    k.AnchoredSubjectRegexp(),
		RequireTlog:      k.RequireTlog,
		RequireTimestamp: k.RequireTimestamp,
		Claims:           k.Claims,
	}
	verify := vcosign.VerifyKeylessSignature
	if e.kind == KindAttestation {
		verify = vcosign.VerifyKeylessAttestation
	}
	res, err := verify(ctx, e.sig, d, kl)
	if err != nil {
		return nil, err
	}
	return &Verified{Statement: res.Statement, SignedAt: res.SignedAt,
		KeyID:    "fulcio:" + res.Issuer + " " + res.Subject,
		Identity: keylessIdentity(res.Subject, res.Issuer)}, nil
}

// errNoPublicRoot refuses a keyless signer that names no trusted root
// when the caller did not fetch the public instance's (offline, it
// cannot be).
var errNoPublicRoot = errors.New("the signer names no trustedRoot, so it trusts the public " +
	"Sigstore instance, whose trusted root is not at hand: it comes from TUF over the network " +
	"(offline, name a trusted_root.json in the policy)")

// keylessIdentity is how a report names a keyless signature's signer.
func keylessIdentity(subject, issuer string) string {
	return subject + " from " + issuer
}
