package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	vnotation "github.com/vouchsec/vouch/pkg/notation"
	"github.com/vouchsec/vouch/pkg/policy"
	"github.com/vouchsec/vouch/pkg/registry"
	"github.com/vouchsec/vouch/pkg/report"
	"github.com/vouchsec/vouch/verify"
)

func newVerifyCmd(g *globals) *cobra.Command {
	var policyFile, output, scope string
	cmd := &cobra.Command{
		Use:   "verify --policy FILE IMAGE...",
		Short: "Verify images' signatures and attestations against a trust policy",
		Long: `Resolve each IMAGE to a digest once, discover the signatures and attestations
attached to it, verify each one cryptographically against the signers the
policy names, and evaluate every policy whose scope matches the image.

IMAGE is a registry reference (a tag is resolved to a digest once) or an
image in an OCI image layout, oci:DIR@sha256:… or oci:DIR:TAG, whose
signatures and attestations are found in the layout's index; --scope names
the repository the layout's images are matched against policy scopes as.

Both cosign evidence (the sha256-<hex>.sig and .att tags) and Notary Project
evidence (notation signatures and notation-signed attestations, stored as
OCI referrers or under the referrers tag schema) are read, and each is
checked against every signer of its kind in the policy.

Output is a table (-o table, the default) or a JSON report (-o json) whose
schema is documented in docs/verify-report.md.

Exit codes: 0 every image passes; 1 the policy is not met; 2 bad usage or a
bad input file; 3 a registry or network failure.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := report.ParseFormat(output)
			if err != nil {
				return usageErr(err)
			}
			refs, err := g.openImages(cmd, args, scope)
			if err != nil {
				return err
			}
			opts, err := g.verifyOptions(cmd, policyFile)
			if err != nil {
				return err
			}
			rep := verify.Images(cmd.Context(), refs, opts)
			if err := report.Write(cmd.OutOrStdout(), format, rep); err != nil {
				return fmt.Errorf("writing report: %w", err)
			}
			return reportErr(rep)
		},
	}
	cmd.Flags().StringVar(&policyFile, "policy", "", "trust policy file (required)")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "report format: table or json")
	cmd.Flags().StringVar(&scope, "scope", "", scopeUsage)
	_ = cmd.MarkFlagRequired("policy")
	return cmd
}

// verifyOptions loads the policy and sets up the registry and backends.
func (g *globals) verifyOptions(cmd *cobra.Command, policyFile string) (verify.Options, error) {
	pol, err := policy.Load(policyFile)
	if err != nil {
		return verify.Options{}, usageErr(err)
	}
	reg := g.registry()
	return verify.Options{
		Policy:   pol,
		Resolver: reg,
		Backends: []verify.Backend{
			verify.NewCosignBackend(reg.RemoteOptions(cmd.Context())),
			verify.NewNotationBackend(g.notationRegistry(reg), vnotation.VerifyOptions{Logger: g.logger}),
		},
		Logger: g.logger,
	}, nil
}

// reportErr maps a report to the worst exit code among its images.
func reportErr(rep *verify.Report) error {
	code := exitOK
	var first error
	for _, img := range rep.Images {
		c := imageCode(img)
		if c > code {
			code = c
		}
		if c != exitOK && first == nil {
			first = fmt.Errorf("%s: %s", img.Reference, summary(img))
		}
	}
	if code == exitOK {
		return nil
	}
	return &exitError{code: code, err: first}
}

func imageCode(img *verify.ImageResult) int {
	switch img.Status {
	case verify.StatusPass:
		return exitOK
	case verify.StatusFail:
		return exitPolicy
	}
	if errors.Is(img.Err, registry.ErrNetwork) {
		return exitRegistry
	}
	return exitUsage
}

// summary names the first failed check of an image.
func summary(img *verify.ImageResult) string {
	if img.Error != "" {
		return img.Error
	}
	for _, p := range img.Policies {
		for _, c := range p.Checks {
			if !c.Passed {
				return fmt.Sprintf("policy %q %s: %s", p.Name, c.Requirement, c.Reason)
			}
		}
	}
	return string(img.Status)
}
