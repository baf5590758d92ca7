package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/spf13/cobra"

	vcosign "github.com/vouchsec/vouch/pkg/cosign"
	vnotation "github.com/vouchsec/vouch/pkg/notation"
	"github.com/vouchsec/vouch/pkg/registry"
)

func newSignCmd(g *globals) *cobra.Command {
	var f signFlags
	cmd := &cobra.Command{
		Use:   "sign [--backend cosign|notation] --key KEY IMAGE",
		Short: "Sign an image's digest with a cosign key or a notation certificate",
		Long: `Resolve IMAGE to a digest once and sign that digest.

--backend cosign (the default) signs with a cosign private key and stores the
signature as cosign stores it (the sha256-<hex>.sig tag), where "cosign
verify" finds it. Signing an image that already carries the same signature
writes nothing.

--backend notation signs as the Notary Project's notation does: a JWS or COSE
envelope made with --key and its certificate chain --cert (or by a notation
plugin: --plugin NAME --key-id ID), stored as an OCI 1.1 referrer of the image
(artifact type application/vnd.cncf.notary.signature), or under the referrers
tag schema on a registry without the referrers API. --timestamp-url and
--timestamp-root add an RFC 3161 timestamp countersignature.`,
		Example: `  vouch sign --key cosign.key registry.example.com/app:1.0
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
			if f.backend == backendNotation {
				return g.signNotation(cmd, &f, args[0])
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
