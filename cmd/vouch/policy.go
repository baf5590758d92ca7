package main

import (
	"github.com/spf13/cobra"

	"github.com/vouchsec/vouch/pkg/policy"
)

func newPolicyCmd(g *globals) *cobra.Command {
	cmd := group(&cobra.Command{
		Use:   "policy",
		Short: "Work with trust policy files",
	})
	cmd.AddCommand(newPolicyImportNotationCmd(g), newPolicyLintCmd(g), newPolicyExplainCmd(g))
	return cmd
}

func newPolicyImportNotationCmd(*globals) *cobra.Command {
	var trustPolicy, trustStore string
	cmd := &cobra.Command{
		Use:   "import-notation --trust-policy trustpolicy.json --trust-store DIR",
		Short: "Turn a notation trust policy and trust store into a vouch policy",
		Long: `Read a notation trust policy document (trustpolicy.json, version 1.0) and the
notation trust store directory it refers to (the one holding x509/), and write
the equivalent vouch policy to stdout as YAML.

Each notation trust policy becomes a vouch policy of the same name and
registry scopes ("*" becomes "**") whose signatures.anyOf names one notation
signer per trust store it lists, with that store's certificates, its trusted
identities and its verification level. The trust store paths in the output are
absolute, so the file works from any directory.

What a vouch policy cannot say without changing what is verified (an override
that matches no level, verifyTimestamp afterCertExpiry, signingAuthority
stores, identities other than x509.subject) is refused with an error rather
than silently weakened.`,
		Example: `  vouch policy import-notation --trust-policy ~/.config/notation/trustpolicy.json \
      --trust-store ~/.config/notation/truststore > trust-policy.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out, err := policy.ImportNotation(trustPolicy, trustStore)
			if err != nil {
				return usageErr(err)
			}
			_, err = cmd.OutOrStdout().Write(out)
			return err
		},
	}
	cmd.Flags().StringVar(&trustPolicy, "trust-policy", "", "notation trustpolicy.json (required)")
	cmd.Flags().StringVar(&trustStore, "trust-store", "", "notation trust store directory, the one holding x509/ (required)")
	_ = cmd.MarkFlagRequired("trust-policy")
	_ = cmd.MarkFlagRequired("trust-store")
	return cmd
}
