package sigstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"time"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"
)

// Options say what a bundle must prove. The zero value verifies nothing:
// TrustedRoot, one of Key and Identity, and one of Artifact and Digest
// are required.
type Options struct {
	// TrustedRoot holds the Fulcio CAs, log keys, CT logs and timestamp
	// authorities to trust.
	TrustedRoot root.TrustedMaterial
	// Key is the public key the bundle must be signed with. A bundle with
	// a certificate is then refused.
	Key signature.Verifier
	// Identity is the certificate identity required when Key is nil.
	Identity Identity
	// Artifact is the signed file's content; Digest stands in for it.
	// For a DSSE bundle, Digest is matched against the statement's
	// subjects.
	Artifact io.Reader
	Digest   *Digest
	// RequireTlog refuses a bundle with no transparency log entry, and
	// RequireTimestamp one with no RFC 3161 timestamp. Whatever the bundle
	// carries must verify either way.
	RequireTlog, RequireTimestamp bool
}

// Identity is a certificate identity: the OIDC issuer, matched exactly,
// and the subject (the certificate's SAN), matched exactly or by a
// regular expression that must match all of it.
type Identity struct {
	Issuer        string
	Subject       string
	SubjectRegexp string
	// Extensions are Fulcio certificate extensions that must be present
	// with exactly these values (empty fields are not checked), such as
	// GithubWorkflowRepository or SourceRepositoryURI.
	Extensions certificate.Extensions
}

// Verify checks bundle b against opts, offline. A verdict against the
// bundle is a *VerificationError; an error wrapping ErrInput means the
// options were unusable.
func Verify(ctx context.Context, b *bundle.Bundle, opts Options) (
	*verify.VerificationResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if opts.TrustedRoot == nil {
		return nil, inputErr("trusted root", errors.New("none given"))
	}
	policy, err := policyFor(opts)
	if err != nil {
		return nil, err
	}
	verifierOpts, err := proofsFor(b, opts)
	if err != nil {
		return nil, err
	}
	v, err := verify.NewVerifier(trustedMaterial(opts), verifierOpts...)
	if err != nil {
		return nil, inputErr("configuring verifier", err)
	}
	res, err := v.Verify(b, policy)
	if err != nil {
		return nil, &VerificationError{Check: checkOf(err), Err: err}
	}
	return res, nil
}

// trustedMaterial adds the caller's key, if any, to the trusted root.
func trustedMaterial(opts Options) root.TrustedMaterial {
	if opts.Key == nil {
		return opts.TrustedRoot
	}
	// A key given on the command line has no validity window.
	key := root.NewExpiringKey(opts.Key, time.Time{}, time.Time{})
	keys := root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) {
		return key, nil
	})
	return root.TrustedMaterialCollection{opts.TrustedRoot, keys}
}

// policyFor builds the artifact and signer policy.
func policyFor(opts Options) (verify.PolicyBuilder, error) {
	var artifact verify.ArtifactPolicyOption
	switch {
	case opts.Artifact != nil && opts.Digest == nil:
		artifact = verify.WithArtifact(opts.Artifact)
	case opts.Artifact == nil && opts.Digest != nil:
		artifact = verify.WithArtifactDigest(opts.Digest.Algorithm, opts.Digest.Value)
	default:
		return verify.PolicyBuilder{}, inputErr("artifact",
			errors.New("give either the artifact or its digest"))
	}
	if opts.Key != nil {
		if opts.Identity != (Identity{}) {
			return verify.PolicyBuilder{}, inputErr("signer",
				errors.New("give a key or an identity, not both"))
		}
		return verify.NewPolicy(artifact, verify.WithKey()), nil
	}
	id, err := opts.Identity.certificateIdentity()
	if err != nil {
		return verify.PolicyBuilder{}, err
	}
	return verify.NewPolicy(artifact, verify.WithCertificateIdentity(id)), nil
}

// certificateIdentity turns i into sigstore-go's matcher: the issuer
// exact, the subject exact or by the anchored regular expression.
func (i Identity) certificateIdentity() (verify.CertificateIdentity, error) {
	if i.Issuer == "" {
		return verify.CertificateIdentity{}, inputErr("identity",
			errors.New("an OIDC issuer is required"))
	}
	if (i.Subject == "") == (i.SubjectRegexp == "") {
		return verify.CertificateIdentity{}, inputErr("identity",
			errors.New("give exactly one of a subject and a subject regexp"))
	}
	var re string
	if i.SubjectRegexp != "" {
		if _, err := regexp.Compile(i.SubjectRegexp); err != nil {
			return verify.CertificateIdentity{}, inputErr("subject regexp", err)
		}
		// sigstore-go, like cosign, matches a regexp anywhere in the
		// subject; anchor it so that .../acme/app cannot match
		// .../acme/app-evil.
		re = `^(?:` + i.SubjectRegexp + `)$`
	}
	id, err := verify.NewShortCertificateIdentity(i.Issuer, "", i.Subject, re)
	if err != nil {
		return verify.CertificateIdentity{}, inputErr("identity", err)
	}
	id.Extensions = i.Extensions
	// The issuer is matched by id.Issuer; an issuer among the required
	// extensions would be compared a second time, to the same end.
	id.Extensions.Issuer = ""
	return id, nil
}

// proofsFor chooses the log and timestamp thresholds from what the bundle
// carries, failing closed: a bundle with log entries must have one that
// verifies (sigstore-go then refuses any entry of a trusted log that does
// not), one with signed timestamps must have one that verifies, and an
// entry's integrated time counts when it has an inclusion promise (Rekor v2
// entries have none). A certificate also needs SCTs and at least one proven
// time; a key needs no time.
func proofsFor(b *bundle.Bundle, o Options) ([]verify.VerifierOption, error) {
	withKey := o.Key != nil
	entries, err := b.TlogEntries()
	if err != nil {
		return nil, inputErr("reading log entries", err)
	}
	stamps, err := b.Timestamps()
	if err != nil {
		return nil, inputErr("reading timestamps", err)
	}
	if o.RequireTlog && len(entries) == 0 {
		return nil, &VerificationError{Check: CheckTlog,
			Err: errors.New("a transparency log entry is required and the bundle has none")}
	}
	if o.RequireTimestamp && len(stamps) == 0 {
		return nil, &VerificationError{Check: CheckTimestamp,
			Err: errors.New("an RFC 3161 timestamp is required and the bundle has none")}
	}
	var opts []verify.VerifierOption
	if !withKey {
		opts = append(opts, verify.WithSignedCertificateTimestamps(1))
	}
	if len(entries) > 0 {
		opts = append(opts, verify.WithTransparencyLog(1))
	}
	timed := false
	if len(entries) > 0 && b.HasInclusionPromise() {
		opts = append(opts, verify.WithIntegratedTimestamps(1))
		timed = true
	}
	if len(stamps) > 0 {
		opts = append(opts, verify.WithSignedTimestamps(1))
		timed = true
	}
	switch {
	case timed:
	case withKey && len(entries) > 0:
		opts = append(opts, verify.WithNoObserverTimestamps())
	case withKey:
		return nil, &VerificationError{Check: CheckTlog,
			Err: errors.New("the bundle has neither a transparency log entry nor a signed timestamp")}
	default:
		return nil, &VerificationError{Check: CheckTimestamp,
			Err: errors.New("the bundle proves no signing time: " +
				"no log entry with an integrated time and no signed timestamp")}
	}
	return opts, nil
}

// Check names a step of bundle verification.
type Check string

// The checks a verdict can name.
const (
	CheckTlog        Check = "transparency log"
	CheckTimestamp   Check = "timestamp"
	CheckCertificate Check = "certificate chain"
	CheckSCT         Check = "SCT"
	CheckSignature   Check = "signature"
	CheckIdentity    Check = "identity"
	CheckKey         Check = "key"
	CheckBundle      Check = "bundle"
)

// VerificationError is a verdict: the bundle does not prove what was
// asked, and Check says which step refused it.
type VerificationError struct {
	Check Check
	Err   error
}

func (e *VerificationError) Error() string {
	return fmt.Sprintf("%s check failed: %v", e.Check, e.Err)
}

func (e *VerificationError) Unwrap() error { return e.Err }
