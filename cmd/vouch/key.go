package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	vcosign "github.com/vouchsec/vouch/pkg/cosign"
)

func newKeyCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "key",
		Short: "Manage signing keys",
	}
	cmd.AddCommand(newKeyGenerateCmd(g))
	return cmd
}

func newKeyGenerateCmd(g *globals) *cobra.Command {
	var prefix string
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Generate a cosign key pair (PREFIX.key, PREFIX.pub)",
		Long: `Generate an ECDSA P-256 key pair. The private key is encrypted with a password
in the format the cosign CLI reads, and written with mode 0600; the public key
is PEM. The password comes from VOUCH_PASSWORD (or COSIGN_PASSWORD), or from a
prompt when stdin is a terminal. Existing files are never overwritten.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pw, err := g.password(true)
			if err != nil {
				return err
			}
			key, pub, err := vcosign.WriteKeyPair(prefix, pw)
			if errors.Is(err, vcosign.ErrExists) {
				return usageErr(err)
			}
			if err != nil {
				return fmt.Errorf("generating key pair: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Private key written to %s\nPublic key written to %s\n", key, pub)
			return nil
		},
	}
	cmd.Flags().StringVar(&prefix, "output-key-prefix", "cosign", "path prefix of the files to write")
	return cmd
}
