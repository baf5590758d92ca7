package sigstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore/pkg/signature"
)

// ErrTimestampAuthority marks a timestamp authority that could not be
// reached or gave no usable timestamp.
var ErrTimestampAuthority = errors.New("timestamp authority")

// SignOptions say how to sign a blob. Signer is required; the zero value
// of everything else signs with no timestamp.
type SignOptions struct {
	// Signer is the key to sign with: an ECDSA or RSA key, which signs
	// with its type's default algorithm (ECDSA P-256 with SHA-256, for
	// the keys vouch key generate makes).
	Signer signature.SignerVerifier
	// TimestampURL, when set, is an RFC 3161 timestamp authority whose
	// timestamp over the signature goes into the bundle.
	TimestampURL string
	// TimestampTimeout bounds the request to the timestamp authority;
	// zero means 30 seconds.
	TimestampTimeout time.Duration
}

// SignBlob signs the content of artifact with opts.Signer and returns a
// Sigstore bundle v0.3 holding the message signature, a hint of the
// public key and, with TimestampURL, a signed timestamp. The artifact is
// read into memory whole. Nothing goes to a transparency log.
//
// TODO(#4): Rekor entries and keyless (Fulcio) signing.
func SignBlob(ctx context.Context, artifact io.Reader, opts SignOptions) (*bundle.Bundle, error) {
	if opts.Signer == nil {
		return nil, inputErr("signer", errors.New("none given"))
	}
	kp, err := newKeypair(opts.Signer)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(artifact)
	if err != nil {
		return nil, fmt.Errorf("reading artifact: %w", err)
	}
	bopts := sign.BundleOptions{Context: ctx}
	if opts.TimestampURL != "" {
		bopts.TimestampAuthorities = []*sign.TimestampAuthority{
			sign.NewTimestampAuthority(&sign.TimestampAuthorityOptions{
				URL: opts.TimestampURL, Timeout: opts.TimestampTimeout,
			}),
		}
	}
	pb, err := sign.Bundle(&sign.PlainData{Data: data}, kp, bopts)
	switch {
	case errors.Is(err, errSigning):
		return nil, err
	case err != nil && opts.TimestampURL != "":
		// With a keypair and no log, the keypair and the timestamp
		// authority are the only steps that can fail.
		return nil, fmt.Errorf("%w %s: %w", ErrTimestampAuthority, opts.TimestampURL, err)
	case err != nil:
		return nil, fmt.Errorf("making bundle: %w", err)
	}
	b, err := bundle.NewBundle(pb)
	if err != nil {
		return nil, fmt.Errorf("checking bundle: %w", err)
	}
	return b, nil
}
