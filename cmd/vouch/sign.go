package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/spf13/cobra"

	vcosign "github.com/vouchsec/vouch/pkg/cosign"
)

func newSignCmd(g *globals) *cobra.Command {
	var key string
	cmd := &cobra.Command{
		Use:   "sign --key KEY IMAGE",
		Short: "Sign an image's digest with a cosign key",
		Long: `Resolve IMAGE to a digest once and sign that digest. The signature is stored
as cosign stores it (the sha256-<hex>.sig tag), where "cosign verify" finds it.
Signing an image that already carries the same signature writes nothing.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sv, err := g.loadKey(key)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			reg := g.registry()
			d, _, err := reg.Resolve(ctx, args[0])
			if err != nil {
				return classify(fmt.Errorf("resolving %s: %w", args[0], err))
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
		},
	}
	cmd.Flags().StringVar(&key, "key", "", "cosign private key file (required)")
	_ = cmd.MarkFlagRequired("key")
	return cmd
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
