package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/spf13/cobra"

	"github.com/vouchsec/vouch/pkg/promote"
	"github.com/vouchsec/vouch/pkg/registry"
	"github.com/vouchsec/vouch/pkg/report"
	"github.com/vouchsec/vouch/verify"
)

func newPromoteCmd(g *globals) *cobra.Command {
	var policyFile, output, scope string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "promote --policy FILE SRC DST",
		Short: "Verify an image, then copy it with its signatures and attestations",
		Long: `Resolve SRC to a digest, verify it against every policy whose scope matches
SRC or DST, and only then copy the image (an index with all its platforms, or
a single manifest), its signatures and its attestations to DST by digest,
writing DST's tag last. SRC may be an image in an OCI image layout
(oci:DIR@sha256:… or oci:DIR:TAG, with --scope naming its repository). DST is a repository or repository:tag; a bare
repository takes SRC's tag. When verification fails nothing is written to
DST. A second run after success writes nothing. --dry-run verifies and shows
what would be copied.

Exit codes as for verify: 0 promoted; 1 refused by the policy; 2 bad usage;
3 a registry or network failure.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := report.ParseFormat(output, report.Table, report.JSON)
			if err != nil {
				return usageErr(err)
			}
			if _, ok, _ := registry.ParseLayoutRef(args[1]); ok {
				return usageErr(fmt.Errorf("%s: promote writes to a registry, not to an OCI layout", args[1]))
			}
			src, err := g.openImages(cmd, args[:1], scope)
			if err != nil {
				return err
			}
			dst := withLayoutTag(args[0], args[1])
			vopts, err := g.verifyOptions(cmd, policyFile)
			if err != nil {
				return err
			}
			res, err := promote.Promote(cmd.Context(), src[0], dst, promote.Options{
				Registry: g.registry(), Verify: vopts, DryRun: dryRun, Logger: g.logger,
			})
			if res != nil {
				if werr := writePromotion(cmd.OutOrStdout(), format, res, vopts.Policy.Path); werr != nil {
					return werr
				}
			}
			switch {
			case errors.Is(err, promote.ErrRefused):
				return policyErr(fmt.Errorf("%s: %w: %s", args[0], err, summary(res.Verified)))
			case err != nil:
				return classify(err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&policyFile, "policy", "", "trust policy file (required)")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "report format: table or json")
	cmd.Flags().StringVar(&scope, "scope", "", scopeUsage)
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "verify and list what would be copied, write nothing")
	_ = cmd.MarkFlagRequired("policy")
	return cmd
}

// withLayoutTag gives a bare destination repository the tag of a source
// named by tag in an OCI layout, as a registry source's tag is carried
// over: the layout source reaches promote as a digest reference.
func withLayoutTag(src, dst string) string {
	ref, ok, err := registry.ParseLayoutRef(src)
	if !ok || err != nil || ref.Tag == "" {
		return dst
	}
	if _, err := name.NewTag(dst, name.StrictValidation); err == nil {
		return dst
	}
	return dst + ":" + ref.Tag
}

func writePromotion(w io.Writer, f report.Format, res *promote.Result, policyPath string) error {
	if f == report.JSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	rep := &verify.Report{Policy: policyPath, Passed: res.Verified.Passed(),
		Images: []*verify.ImageResult{res.Verified}}
	if err := report.WriteTable(w, rep); err != nil {
		return err
	}
	if len(res.Steps) == 0 {
		return nil
	}
	fmt.Fprintf(w, "\nPromotion of %s to %s", res.Digest, res.Destination)
	if res.DryRun {
		fmt.Fprint(w, " (dry run: nothing written)")
	}
	fmt.Fprintln(w, ":")
	for _, s := range res.Steps {
		fmt.Fprintf(w, "  %-16s %-16s %s\n", s.Action, s.What, s.Target)
	}
	return nil
}
