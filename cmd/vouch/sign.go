package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sigstore/cosign/v2/pkg/types"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/spf13/cobra"

	vcosign "github.com/vouchsec/vouch/pkg/cosign"
	vnotation "github.com/vouchsec/vouch/pkg/notation"
	"github.com/vouchsec/vouch/pkg/registry"
	"github.com/vouchsec/vouch/pkg/sigstore"
)

func newSignCmd(g *globals) *cobra.Command {
	var f signFlags
	cmd := &cobra.Command{
		Use:   "sign [--backend cosign|notation] (--key KEY | --keyless) IMAGE",
		Short: "Sign an image's digest with a cosign key, keyless, or a notation certificate",
		Long: `Resolve IMAGE to a digest once and sign that digest.

--backend cosign (the default) signs with a cosign private key and stores the
signature as cosign stores it (the sha256-<hex>.sig tag), where "cosign
verify" finds it. Signing an image that already carries the same signature
writes nothing.

--keyless signs with a fresh key and a short-lived certificate that Fulcio
issues for your OIDC identity. The identity token comes from, first found:
--identity-token (a token, or @FILE), $SIGSTORE_ID_TOKEN, GitHub Actions'
ambient token (a job with "permissions: id-token: write"), or a browser
sign-in when stdin is a terminal. The signature is recorded in Rekor (unless
--no-tlog) and, with --timestamp-url, timestamped by an RFC 3161 authority.
The defaults are the public Sigstore instance (Fulcio, Rekor, and its trusted
root from TUF, against which the new signature is checked); --fulcio-url,
--rekor-url, --timestamp-url and --trusted-root select a private deployment.
Each keyless signature is new: signing again adds one.

--signature-format classic (the default) stores the certificate, the Rekor
entry and the timestamp in annotations of the .sig tag's layer, as cosign v2
does; --signature-format bundle stores a Sigstore bundle v0.3 (a DSSE
envelope over an in-toto statement naming the digest, predicate type
https://sigstore.dev/cosign/sign/v1) as an OCI 1.1 referrer, as cosign v3
does. vouch verify reads both. With --key, --rekor-url, --timestamp-url and
--signature-format apply too; a key signature is logged only when
--rekor-url is given.

Exit codes: 0 signed (or, with a key, already signed); 2 bad usage, a bad
key, password or identity token (Fulcio refusing the token included), or a
trusted root that could not verify the result (checked before anything is
signed where it can be); 3 the registry, Fulcio, Rekor or the timestamp
authority failed or could not be reached.

--backend notation signs as the Notary Project's notation does: a JWS or COSE
envelope made with --key and its certificate chain --cert (or by a notation
plugin: --plugin NAME --key-id ID), stored as an OCI 1.1 referrer of the image
(artifact type application/vnd.cncf.notary.signature), or under the referrers
tag schema on a registry without the referrers API. --timestamp-url and
--timestamp-root add an RFC 3161 timestamp countersignature.`,
		Example: `  vouch sign --key cosign.key registry.example.com/app:1.0
  vouch sign --keyless registry.example.com/app:1.0
  vouch sign --keyless --signature-format bundle --identity-token @token.jwt \
      --fulcio-url https://fulcio.internal --rekor-url https://rekor.internal \
      --trusted-root trusted_root.json registry.example.com/app:1.0
  vouch sign --backend notation --key notary.key --cert notary.crt registry.example.com/app:1.0
  vouch sign --backend notation --envelope cose --key notary.key --cert notary.crt \
      --timestamp-url http://tsa.example.com --timestamp-root tsa-root.pem registry.example.com/app:1.0
  vouch sign --backend notation --plugin my-kms --key-id prod-key registry.example.com/app:1.0`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.check(cmd); err != nil {
				return err
			}
			if err := refuseLayout(args[0]); err != nil {
				return err
			}
			switch {
			case f.backend == backendNotation:
				return g.signNotation(cmd, &f, args[0])
			case f.sigstore.uses(cmd):
				return g.signSigstore(cmd, &f, args[0])
			}
			return g.signCosign(cmd, f.key, args[0])
		},
	}
	f.register(cmd)
	return cmd
}

func (g *globals) signCosign(cmd *cobra.Command, key, image string) error {
	sv, err := g.loadKey(key)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	reg := g.registry()
	d, err := g.resolve(cmd, reg, image)
	if err != nil {
		return err
	}
	written, err := vcosign.Sign(ctx, d, sv, reg.RemoteOptions(ctx))
	if err != nil {
		return classify(fmt.Errorf("signing %s: %w", d, err))
	}
	if written {
		fmt.Fprintf(cmd.OutOrStdout(), "Signed %s\n", d)
	} else {
		fmt.Fprintf(cmd.OutOrStdout(), "Already signed with this key: %s\n", d)
	}
	return nil
}

// signSigstore signs keyless, or with a key through a log, a timestamp
// authority or in the bundle format.
func (g *globals) signSigstore(cmd *cobra.Command, f *signFlags, image string) error {
	ctx := cmd.Context()
	opts, err := g.sigstoreOptions(cmd, &f.sigstore, f.key)
	if err != nil {
		return err
	}
	reg := g.registry()
	d, err := g.resolve(cmd, reg, image)
	if err != nil {
		return err
	}
	ropts := reg.RemoteOptions(ctx)
	var b *bundle.Bundle
	if f.sigstore.format == formatBundle {
		st, err := vcosign.SignStatement(d)
		if err != nil {
			return usageErr(err)
		}
		if b, err = sigstore.SignStatement(ctx, st, opts); err != nil {
			return signErr(fmt.Errorf("signing %s: %w", d, err))
		}
		if err := vcosign.WriteBundle(ctx, d, b, types.CosignSignPredicateType, ropts); err != nil {
			return classify(fmt.Errorf("storing the signature of %s: %w", d, err))
		}
	} else {
		p, err := vcosign.Payload(d)
		if err != nil {
			return usageErr(err)
		}
		if b, err = sigstore.Sign(ctx, &sign.PlainData{Data: p}, opts); err != nil {
			return signErr(fmt.Errorf("signing %s: %w", d, err))
		}
		sig, err := vcosign.SignatureFromBundle(p, b)
		if err != nil {
			return usageErr(err)
		}
		if err := vcosign.AppendSignature(ctx, d, sig, ropts); err != nil {
			return classify(fmt.Errorf("storing the signature of %s: %w", d, err))
		}
	}
	fmt.Fprintf(cmd.OutOrStdout(), "Signed %s (%s)\n", d, describeBundle(b, f.sigstore.format))
	return nil
}

func (g *globals) signNotation(cmd *cobra.Command, f *signFlags, image string) error {
	ctx := cmd.Context()
	s, err := f.notationSigner(ctx)
	if err != nil {
		return err
	}
	reg := g.registry()
	opts, err := g.notationSignOptions(reg, &f.notation)
	if err != nil {
		return err
	}
	d, err := g.resolve(cmd, reg, image)
	if err != nil {
		return err
	}
	desc, err := vnotation.Sign(ctx, d, s, opts)
	if err != nil {
		return classify(err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "Signed %s (notation %s signature %s)\n", d, f.notation.envelope, desc.Digest)
	return nil
}

// resolve turns an image reference into a digest, once.
func (g *globals) resolve(cmd *cobra.Command, reg *registry.Client, image string) (name.Digest, error) {
	d, _, err := reg.Resolve(cmd.Context(), image)
	if err != nil {
		return name.Digest{}, classify(err)
	}
	return d, nil
}

// loadKey reads and decrypts a cosign private key file.
func (g *globals) loadKey(path string) (signature.SignerVerifier, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, usageErr(fmt.Errorf("reading key: %w", err))
	}
	pw, err := g.password(false)
	if err != nil {
		return nil, err
	}
	sv, err := vcosign.LoadPrivateKey(pem, pw)
	if errors.Is(err, vcosign.ErrWrongPassword) {
		return nil, usageErr(fmt.Errorf("key %s: wrong password", path))
	}
	if err != nil {
		return nil, usageErr(fmt.Errorf("key %s: %w", path, err))
	}
	return sv, nil
}
