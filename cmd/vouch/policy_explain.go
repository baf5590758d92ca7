package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/spf13/cobra"

	"github.com/vouchsec/vouch/pkg/policy"
	"github.com/vouchsec/vouch/pkg/registry"
)

// explainFlags are the flags of vouch policy explain.
type explainFlags struct {
	policyFile, scope, output string
}

func newPolicyExplainCmd(*globals) *cobra.Command {
	var f explainFlags
	cmd := &cobra.Command{
		Use:   "explain --policy FILE IMAGE",
		Short: "Say which policies apply to an image and what they require, fetching nothing",
		Long: `Say which policies of a trust policy file apply to IMAGE, which of each
policy's scope globs matched, and what each requires: the signature rule
with the signers' kinds and keys or certificates, each attestation with its
type, who must have signed it, its maximum age and the rules on its content,
the image configuration rules and the Rego files. The image must pass every
policy that applies.

Nothing is fetched: only IMAGE's repository name counts, never its tag or
digest, so this works before the image exists and without a network. An
image in an OCI layout (oci:DIR@sha256:… or oci:DIR:TAG) is known by the
repository --scope names, without reading the layout.

Exit codes: 0 at least one policy applies; 1 none does, so verification
would refuse the image; 2 bad usage or a policy file that does not load.`,
		Example: `  vouch policy explain --policy trust-policy.yaml registry.acme.io/prod/app:1.4
  vouch policy explain --policy trust-policy.yaml --scope registry.acme.io/prod/app oci:build:1.4`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return policyExplain(cmd, args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.policyFile, "policy", "", "trust policy file (required)")
	fl.StringVar(&f.scope, "scope", "", scopeUsage)
	fl.StringVarP(&f.output, "output", "o", "text", "output format: text or json")
	_ = cmd.MarkFlagRequired("policy")
	return cmd
}

func policyExplain(cmd *cobra.Command, image string, f explainFlags) error {
	if f.output != "text" && f.output != "json" {
		return usageErr(fmt.Errorf("-o %q: want text or json", f.output))
	}
	repo, err := explainRepository(image, f.scope, cmd.Flags().Changed("scope"))
	if err != nil {
		return usageErr(err)
	}
	pol, err := policy.Load(f.policyFile)
	if err != nil {
		return usageErr(err)
	}
	e := pol.Explain(repo)
	w := cmd.OutOrStdout()
	if f.output == "json" {
		err = writeExplainJSON(w, image, f.policyFile, e)
	} else {
		err = writeExplainText(w, image, f.policyFile, e)
	}
	if err != nil {
		return fmt.Errorf("writing explanation: %w", err)
	}
	if len(e.Policies) == 0 {
		return policyErr(fmt.Errorf("no policy in %s matches %s: verification would refuse %s",
			f.policyFile, repo, image))
	}
	return nil
}

// explainRepository returns the repository scopes are matched against:
// the image reference's, or --scope for an image in an OCI layout. It
// reads no registry and no layout.
func explainRepository(image, scope string, scopeGiven bool) (string, error) {
	if _, ok, err := registry.ParseLayoutRef(image); ok || err != nil {
		if err != nil {
			return "", err
		}
		if scope == "" {
			return "", errors.New(image + ": an OCI layout has no repository name: " +
				"give one with --scope, such as --scope registry.acme.io/prod/app")
		}
		repo, err := name.NewRepository(scope)
		if err != nil {
			return "", fmt.Errorf("--scope %q: %w", scope, err)
		}
		return repo.Name(), nil
	}
	if scopeGiven {
		return "", errors.New("--scope goes with images in an OCI layout (oci:DIR@sha256:… or oci:DIR:TAG)")
	}
	ref, err := name.ParseReference(image, name.WeakValidation)
	if err != nil {
		return "", fmt.Errorf("%w %q: %w", registry.ErrInvalidReference, image, err)
	}
	return ref.Context().Name(), nil
}

func writeExplainJSON(w io.Writer, image, file string, e *policy.Explanation) error {
	doc := struct {
		Reference  string `json:"reference"`
		PolicyFile string `json:"policyFile"`
		*policy.Explanation
	}{image, file, e}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// writeExplainText writes the explanation for a reader.
func writeExplainText(w io.Writer, image, file string, e *policy.Explanation) error {
	var b strings.Builder
	fmt.Fprintf(&b, "image:      %s\n", image)
	fmt.Fprintf(&b, "repository: %s (scopes match this name; tags and digests are never part of a scope)\n",
		e.Repository)
	fmt.Fprintf(&b, "policy:     %s (nothing was fetched)\n\n", file)
	switch n := len(e.Policies); n {
	case 0:
		fmt.Fprintf(&b, "No policy applies: verification would refuse this image.\n")
	case 1:
		fmt.Fprintf(&b, "1 policy applies; the image must pass it.\n")
	default:
		fmt.Fprintf(&b, "%d policies apply; the image must pass every one.\n", n)
	}
	kinds := map[string]string{}
	for _, s := range e.Signers {
		kinds[s.Name] = s.Kind
	}
	for _, p := range e.Policies {
		explainPolicyText(&b, p, e.Repository, kinds)
	}
	if len(e.NotApplying) > 0 {
		fmt.Fprintf(&b, "\nNot applying (no scope matches): %s\n", strings.Join(e.NotApplying, ", "))
	}
	if len(e.Signers) > 0 {
		fmt.Fprintf(&b, "\nSigners:\n")
		for _, s := range e.Signers {
			explainSignerText(&b, s)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func explainPolicyText(b *strings.Builder, p policy.PolicyExplanation, repo string,
	kinds map[string]string) {
	fmt.Fprintf(b, "\npolicy %q (%s)\n", p.Name, p.Position)
	fmt.Fprintf(b, "  applies: scope %q matches %s\n", p.MatchedScope, repo)
	if p.SkipVerification {
		fmt.Fprintf(b, "  requires nothing: skipVerification admits every image in its scope unchecked\n")
		return
	}
	if s := p.Signatures; s != nil {
		fmt.Fprintf(b, "  signatures:\n")
		if len(s.AnyOf) > 0 {
			fmt.Fprintf(b, "    anyOf: at least one of %s\n", signerList(s.AnyOf, kinds))
		}
		if len(s.AllOf) > 0 {
			fmt.Fprintf(b, "    allOf: every one of %s\n", signerList(s.AllOf, kinds))
		}
		if t := s.Threshold; t != nil {
			fmt.Fprintf(b, "    threshold: at least %d different signers of %s\n",
				t.Count, signerList(t.Of, kinds))
		}
	}
	for _, a := range p.Attestations {
		fmt.Fprintf(b, "  attestation %s (%s):\n", a.Type, a.Position)
		fmt.Fprintf(b, "    predicate type: %s\n", strings.Join(a.PredicateTypes, " or "))
		fmt.Fprintf(b, "    signed by: one of %s\n", signerList(a.SignedBy, kinds))
		if a.MaxAge != "" {
			fmt.Fprintf(b, "    maxAge: at most %s old\n", a.MaxAge)
		}
		for _, r := range a.Rules {
			fmt.Fprintf(b, "    rule: %s\n", r)
		}
		if a.Rego != "" {
			fmt.Fprintf(b, "    rego: no deny from %s\n", a.Rego)
		}
	}
	if len(p.Image) > 0 {
		fmt.Fprintf(b, "  image configuration:\n")
		for _, r := range p.Image {
			fmt.Fprintf(b, "    %s\n", r)
		}
	}
	if p.Rego != "" {
		fmt.Fprintf(b, "  rego: no deny from %s\n", p.Rego)
	}
}

func signerList(names []string, kinds map[string]string) string {
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s (%s)", n, kinds[n])
	}
	return strings.Join(parts, ", ")
}

func explainSignerText(b *strings.Builder, s policy.SignerExplanation) {
	switch {
	case s.Kind == "cosign" && s.Issuer != "":
		id := "subject " + s.Subject
		if s.SubjectRegexp != "" {
			id = "subject matching " + s.SubjectRegexp + " (all of it)"
		}
		fmt.Fprintf(b, "  %s: cosign keyless, issuer %s, %s\n", s.Name, s.Issuer, id)
		root := s.TrustedRoot
		if root == "" {
			root = "the public Sigstore instance's, from TUF"
		}
		fmt.Fprintf(b, "    trusted root: %s\n", root)
		var needs []string
		if s.RequireTlog {
			needs = append(needs, "a Rekor entry")
		}
		if s.RequireTimestamp {
			needs = append(needs, "an RFC 3161 timestamp")
		}
		if len(needs) > 0 {
			fmt.Fprintf(b, "    requires: %s\n", strings.Join(needs, " and "))
		}
		for _, c := range s.Claims {
			fmt.Fprintf(b, "    claim %s: %s\n", c.Name, c.Value)
		}
	case s.Kind == "cosign":
		fmt.Fprintf(b, "  %s: cosign key %s, %s, %s\n", s.Name, s.Key, s.KeyAlgorithm, s.KeyFingerprint)
		if s.TrustedRoot != "" {
			fmt.Fprintf(b, "    trusted root: %s\n", s.TrustedRoot)
		}
	case s.Kind == "notation":
		fmt.Fprintf(b, "  %s: notation, level %s\n", s.Name, s.Level)
		fmt.Fprintf(b, "    trust store %s: %s\n", s.TrustStore, strings.Join(s.TrustStoreSubjects, "; "))
		if s.TSATrustStore != "" {
			fmt.Fprintf(b, "    timestamp authorities: %s\n", s.TSATrustStore)
		}
		fmt.Fprintf(b, "    identities: %s\n", strings.Join(s.Identities, "; "))
	default:
		fmt.Fprintf(b, "  %s: %s\n", s.Name, s.Kind)
	}
}
