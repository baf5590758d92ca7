package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/vouchsec/vouch/pkg/inspect"
)

func newInspectCmd(g *globals) *cobra.Command {
	var output, scope string
	cmd := &cobra.Command{
		Use:   "inspect [-o tree|json] IMAGE",
		Short: "Show everything attached to an image and who claims to have signed it, verifying nothing",
		Long: `Resolve IMAGE to a digest once and show, as a tree, everything attached to
that digest: cosign signatures and attestations (the sha256-<hex>.sig and
.att tags), Sigstore bundles, notation signatures, attestations stored as
referrers with the notation signatures on them, and any other referrer such
as a plain SBOM, each with the identity it claims to be signed by, its
predicate type, size and creation time where known. For an index, each
platform manifest is listed with what is attached to it.

Nothing is verified: a signer shown here is what the signature says, not
what vouch checked. A cosign signature made with a key does not say which
key; it is shown as "key (unverified)". Use vouch verify to check
signatures against a trust policy.

IMAGE is a registry reference or an image in an OCI layout (oci:DIR@sha256:…
or oci:DIR:TAG, with --scope). Registries with and without the referrers
API are read alike. -o json writes the tree as the JSON document described
in docs/inspect.md.

Exit codes: 0 success; 2 bad usage; 3 a registry or network failure.`,
		Example: `  vouch inspect registry.acme.io/prod/app:1.4
  vouch inspect -o json registry.acme.io/prod/app@sha256:…`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output != "tree" && output != "json" {
				return usageErr(fmt.Errorf("-o %q: want tree or json", output))
			}
			refs, err := g.openImages(cmd, args, scope)
			if err != nil {
				return err
			}
			res, err := inspect.Image(cmd.Context(), refs[0],
				inspect.Options{Client: g.registry(), Logger: g.logger})
			if err != nil {
				return classify(err)
			}
			res.Reference = args[0]
			if output == "json" {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				err = enc.Encode(res)
			} else {
				err = writeInspectTree(cmd.OutOrStdout(), res)
			}
			if err != nil {
				return fmt.Errorf("writing inspection: %w", err)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "tree", "output format: tree or json")
	cmd.Flags().StringVar(&scope, "scope", "", scopeUsage)
	return cmd
}
