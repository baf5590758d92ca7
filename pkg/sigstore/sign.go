package sigstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"
)

// Errors that name the service that failed while signing. Callers treat
// them as network failures, not as bad input.
var (
	ErrTimestampAuthority = errors.New("timestamp authority")
	ErrFulcio             = errors.New("fulcio")
	ErrRekor              = errors.New("rekor")
)

// SignOptions say how to sign. Exactly one of Signer and Keyless is set;
// RekorURL and TimestampURL are optional with either.
type SignOptions struct {
	// Signer is the key to sign with: an ECDSA or RSA key, which signs
	// with its type's default algorithm (ECDSA P-256 with SHA-256, for
	// the keys vouch key generate makes).
	Signer signature.SignerVerifier
	// Keyless, when set, signs with a fresh ECDSA P-256 key that Fulcio
	// certifies for the identity in the token.
	Keyless *Keyless
	// RekorURL, when set, is a Rekor v1 instance the signature is logged
	// in; the entry, its signed entry timestamp and its inclusion proof go
	// into the bundle.
	RekorURL string
	// TimestampURL, when set, is an RFC 3161 timestamp authority whose
	// timestamp over the signature goes into the bundle.
	TimestampURL string
	// Timeout bounds each request to Fulcio, Rekor and the timestamp
	// authority; zero means 30 seconds.
	Timeout time.Duration
	// TrustedRoot, when set, is what the new bundle is verified against
	// before it is returned, so that a Fulcio, Rekor or timestamp
	// authority the verifier will not trust is caught at signing time;
	// a failure wraps ErrInput and a *VerificationError.
	TrustedRoot root.TrustedMaterial
}

// Keyless names the certificate authority and the identity to sign as.
type Keyless struct {
	// FulcioURL is the Fulcio instance's base URL.
	FulcioURL string
	// IDToken is the OIDC identity token Fulcio checks (see [IDToken]).
	IDToken string
}

// SignBlob signs the content of artifact and returns a Sigstore bundle
// v0.3 holding the message signature over its SHA-256 digest. The
// artifact is read into memory whole.
func SignBlob(ctx context.Context, artifact io.Reader, opts SignOptions) (*bundle.Bundle, error) {
	data, err := io.ReadAll(artifact)
	if err != nil {
		return nil, fmt.Errorf("reading artifact: %w", err)
	}
	return Sign(ctx, &sign.PlainData{Data: data}, opts)
}

// SignStatement signs an in-toto statement into a DSSE envelope and
// returns the Sigstore bundle v0.3 that holds it.
func SignStatement(ctx context.Context, statement []byte, opts SignOptions) (*bundle.Bundle, error) {
	return Sign(ctx, &sign.DSSEData{Data: statement, PayloadType: InTotoPayloadType}, opts)
}

// InTotoPayloadType is the DSSE payload type of in-toto statements.
const InTotoPayloadType = "application/vnd.in-toto+json"

// Sign signs content (a [sign.PlainData] message or a [sign.DSSEData]
// envelope) as opts say and returns the bundle: with a key, a public key
// hint as verification material; keyless, the Fulcio certificate. Each
// service that fails is named by its error ([ErrFulcio], [ErrRekor],
// [ErrTimestampAuthority]).
func Sign(ctx context.Context, content sign.Content, opts SignOptions) (*bundle.Bundle, error) {
	kp, err := opts.keypair()
	if err != nil {
		return nil, err
	}
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	bopts := sign.BundleOptions{Context: ctx}
	if k := opts.Keyless; k != nil {
		bopts.CertificateProvider = tagged{ErrFulcio, k.FulcioURL,
			sign.NewFulcio(&sign.FulcioOptions{BaseURL: k.FulcioURL, Timeout: timeout})}
		bopts.CertificateProviderOptions = &sign.CertificateProviderOptions{IDToken: k.IDToken}
	}
	if opts.TimestampURL != "" {
		bopts.TimestampAuthorities = []*sign.TimestampAuthority{
			sign.NewTimestampAuthority(&sign.TimestampAuthorityOptions{
				URL: opts.TimestampURL, Timeout: timeout,
			}),
		}
	}
	if opts.RekorURL != "" {
		bopts.TransparencyLogs = []sign.Transparency{tagged{ErrRekor, opts.RekorURL,
			sign.NewRekor(&sign.RekorOptions{BaseURL: opts.RekorURL, Timeout: timeout})}}
	}
	pb, err := sign.Bundle(content, kp, bopts)
	if err != nil {
		return nil, classifySignErr(err, opts)
	}
	b, err := bundle.NewBundle(pb)
	if err != nil {
		return nil, fmt.Errorf("checking bundle: %w", err)
	}
	if opts.TrustedRoot != nil {
		if err := checkNew(b, content, opts); err != nil {
			return nil, fmt.Errorf("%w: the new signature does not verify against the trusted root "+
				"(is the root this deployment's, and do its services agree on the time?): %w",
				ErrInput, err)
		}
	}
	return b, nil
}

// checkNew verifies a bundle just made against opts.TrustedRoot, with
// every proof it carries required: the certificate's chain and SCTs, the
// log entry, the timestamp. The identity is the caller's own, so it is
// not checked.
func checkNew(b *bundle.Bundle, content sign.Content, opts SignOptions) error {
	vo := Options{TrustedRoot: opts.TrustedRoot}
	policy := verify.WithoutIdentitiesUnsafe()
	if opts.Signer != nil {
		vo.Key = opts.Signer
		policy = verify.WithKey()
	}
	proofs, err := proofsFor(b, vo)
	if err != nil {
		return err
	}
	v, err := verify.NewVerifier(trustedMaterial(vo), proofs...)
	if err != nil {
		return err
	}
	artifact := verify.WithoutArtifactUnsafe()
	if p, ok := content.(*sign.PlainData); ok {
		artifact = verify.WithArtifact(bytes.NewReader(p.Data))
	}
	if _, err := v.Verify(b, verify.NewPolicy(artifact, policy)); err != nil {
		return &VerificationError{Check: checkOf(err), Err: err}
	}
	return nil
}

// keypair returns the key to sign with: the caller's, or a fresh one for
// keyless signing.
func (o SignOptions) keypair() (sign.Keypair, error) {
	switch {
	case o.Signer != nil && o.Keyless != nil:
		return nil, inputErr("signer", errors.New("both a key and keyless signing given"))
	case o.Signer != nil:
		return newKeypair(o.Signer)
	case o.Keyless == nil:
		return nil, inputErr("signer", errors.New("none given"))
	case o.Keyless.FulcioURL == "":
		return nil, inputErr("keyless signing", errors.New("no Fulcio URL"))
	case o.Keyless.IDToken == "":
		return nil, inputErr("keyless signing", errors.New("no identity token"))
	}
	kp, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		return nil, fmt.Errorf("%w: making ephemeral key: %w", errSigning, err)
	}
	return kp, nil
}

// classifySignErr names what failed in sign.Bundle. Fulcio and Rekor
// errors are tagged on the way out of their providers and the key's own
// errors carry errSigning; with those excluded only the timestamp
// authority remains.
func classifySignErr(err error, opts SignOptions) error {
	switch {
	case errors.Is(err, errSigning), errors.Is(err, ErrFulcio), errors.Is(err, ErrRekor),
		errors.Is(err, ErrInput):
		return err
	case opts.TimestampURL != "":
		return fmt.Errorf("%w %s: %w", ErrTimestampAuthority, opts.TimestampURL, err)
	default:
		return fmt.Errorf("making bundle: %w", err)
	}
}

// tagged wraps a Fulcio or Rekor client so that its errors say which
// service failed, and where.
type tagged struct {
	tag error
	url string
	svc any
}

// GetCertificate implements sign.CertificateProvider.
func (t tagged) GetCertificate(ctx context.Context, kp sign.Keypair,
	opts *sign.CertificateProviderOptions) ([]byte, error) {
	cert, err := t.svc.(sign.CertificateProvider).GetCertificate(ctx, kp, opts)
	// sigstore-go reports a Fulcio answer of 4xx as "Fulcio returned
	// 4xx: …": Fulcio refused the request (the identity token, mostly),
	// which trying again will not mend.
	if err != nil && strings.Contains(err.Error(), "Fulcio returned 4") {
		return nil, fmt.Errorf("%w: Fulcio %s refused to certify the identity token "+
			"(expired, for another audience, from an issuer it does not trust, or not verified "+
			"by the issuer): %w", ErrInput, t.url, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%w %s: getting a signing certificate: %w", t.tag, t.url, err)
	}
	return cert, nil
}

// GetTransparencyLogEntry implements sign.Transparency.
func (t tagged) GetTransparencyLogEntry(ctx context.Context, keyOrCertPEM []byte,
	b *protobundle.Bundle) error {
	err := t.svc.(sign.Transparency).GetTransparencyLogEntry(ctx, keyOrCertPEM, b)
	if err != nil {
		return fmt.Errorf("%w %s: logging the signature: %w", t.tag, t.url, err)
	}
	return nil
}

// Timestamp asks the RFC 3161 timestamp authority at url for a timestamp
// over data and returns the DER TimeStampResponse. cosign's classic
// attestations are timestamped over the whole DSSE envelope, where a
// bundle's timestamp is over the envelope's signature.
func Timestamp(ctx context.Context, url string, timeout time.Duration, data []byte) ([]byte, error) {
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	ta := sign.NewTimestampAuthority(&sign.TimestampAuthorityOptions{URL: url, Timeout: timeout})
	tsr, err := ta.GetTimestamp(ctx, data)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrTimestampAuthority, url, err)
	}
	return tsr, nil
}
