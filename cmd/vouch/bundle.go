package main

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"

	"github.com/vouchsec/vouch/pkg/bundle"
	vnotation "github.com/vouchsec/vouch/pkg/notation"
	"github.com/vouchsec/vouch/pkg/policy"
	"github.com/vouchsec/vouch/pkg/promote"
	"github.com/vouchsec/vouch/pkg/registry"
)

func newBundleCmd(g *globals) *cobra.Command {
	cmd := group(&cobra.Command{
		Use:   "bundle",
		Short: "Export an image with its evidence into an offline audit bundle, or import one",
	})
	cmd.AddCommand(newBundleExportCmd(g), newBundleImportCmd(g))
	return cmd
}

// bundleExportFlags are the flags of vouch bundle export.
type bundleExportFlags struct {
	output, policyFile, scope string
	withLayers                bool
}

func newBundleExportCmd(g *globals) *cobra.Command {
	var f bundleExportFlags
	cmd := &cobra.Command{
		Use:   "export IMAGE -o FILE [--with-layers] [--policy P]",
		Short: "Write an image and all of its evidence into an offline audit bundle",
		Long: `Resolve IMAGE to a digest once and write an OCI image layout holding the
image's index or manifest and configs (its layers too with --with-layers),
the manifests and layers of its cosign .sig and .att tags, and every OCI
referrer attached to it and to its referrers (notation signatures and
attestations, the signatures on those), with the CRLs that the notation
certificates name, fetched now. FILE is a tar file when it ends in .tar,
else a directory, which must not exist yet; either appears whole or not at
all. docs/bundle.md documents the format.

With --policy the policy file and the key and certificate files it names
are bundled too, the image is verified against the policy from what the
bundle holds (revocation online), and the JSON report is bundled. The
bundle is written either way; exit code 1 says the image did not pass.

IMAGE may be in an OCI layout (oci:DIR@sha256:… or oci:DIR:TAG) with
--scope naming its repository.

Exit codes: 0 written (and verified, with --policy); 1 written, but the
policy is not met; 2 bad usage or a bad input; 3 a registry or network
failure.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.bundleExport(cmd, args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", "", "bundle to write: FILE.tar, or a directory (required)")
	fl.BoolVar(&f.withLayers, "with-layers", false, "include the image's layer blobs")
	fl.StringVar(&f.policyFile, "policy", "", "trust policy to bundle and verify against")
	fl.StringVar(&f.scope, "scope", "", scopeUsage)
	_ = cmd.MarkFlagRequired("output")
	return cmd
}

func (g *globals) bundleExport(cmd *cobra.Command, image string, f bundleExportFlags) error {
	refs, err := g.openImages(cmd, []string{image}, f.scope)
	if err != nil {
		return err
	}
	reg := g.registry()
	d, _, err := reg.Resolve(cmd.Context(), refs[0])
	if err != nil {
		return classify(err)
	}
	opts := bundle.ExportOptions{
		Output:     f.output,
		WithLayers: f.withLayers,
		Reference:  refs[0],
		Notation:   vnotation.VerifyOptions{Logger: g.logger},
		Logger:     g.logger,
	}
	if f.policyFile != "" {
		if opts.Policy, err = policy.Load(f.policyFile); err != nil {
			return usageErr(err)
		}
		if err := publicRoot(opts.Policy); err != nil {
			return err
		}
	}
	res, err := bundle.Export(cmd.Context(), reg, d, opts)
	if err != nil {
		return classify(err)
	}
	for _, u := range slices.Sorted(maps.Keys(res.MissingCRLs)) {
		fmt.Fprintf(cmd.ErrOrStderr(), "vouch: warning: CRL %s not bundled: %s\n", u, res.MissingCRLs[u])
	}
	writeExport(cmd.OutOrStdout(), res)
	if res.Report != nil && !res.Report.Passed {
		return policyErr(fmt.Errorf("bundle %s written, but %s does not meet the policy: %s",
			res.Output, d, summary(res.Report.Images[0])))
	}
	return nil
}

// writeExport prints what a bundle holds.
func writeExport(w io.Writer, res *bundle.ExportResult) {
	fmt.Fprintf(w, "Bundle %s (%d bytes) of %s:\n", res.Output, res.Size, res.Image)
	for _, e := range res.Entries {
		extra := e.Descriptor.ArtifactType
		if t := e.Descriptor.Annotations[ocispec.AnnotationRefName]; t != "" {
			extra = "tag " + t
		}
		fmt.Fprintf(w, "  %-20s %s %s\n", e.Kind, e.Descriptor.Digest, extra)
	}
	if len(res.CRLs) > 0 {
		fmt.Fprintf(w, "  CRLs: %s\n", strings.Join(res.CRLs, ", "))
	}
	if res.Report != nil {
		verdict := map[bool]string{true: "passed", false: "FAILED"}[res.Report.Passed]
		fmt.Fprintf(w, "Verification at export against %s: %s\n", res.Report.Policy, verdict)
	}
}

// bundleLimitFlags are the flags that bound reading a bundle.
type bundleLimitFlags struct {
	maxSize    int64
	maxEntries int
}

func (l *bundleLimitFlags) register(cmd *cobra.Command) {
	cmd.Flags().Int64Var(&l.maxSize, "max-bundle-size", bundle.DefaultMaxSize,
		"refuse a bundle whose files add up to more bytes than this")
	cmd.Flags().IntVar(&l.maxEntries, "max-bundle-entries", bundle.DefaultMaxEntries,
		"refuse a tar bundle of more entries than this")
}

func (l *bundleLimitFlags) limits() (bundle.Limits, error) {
	if l.maxSize < 1 || l.maxEntries < 1 {
		return bundle.Limits{}, usageErr(fmt.Errorf("--max-bundle-size %d, --max-bundle-entries %d: "+
			"want at least 1 each", l.maxSize, l.maxEntries))
	}
	return bundle.Limits{MaxSize: l.maxSize, MaxEntries: l.maxEntries}, nil
}

func newBundleImportCmd(g *globals) *cobra.Command {
	var limits bundleLimitFlags
	cmd := &cobra.Command{
		Use:   "import FILE REPO",
		Short: "Restore an image and all of its evidence from a bundle into a registry",
		Long: `Check the structure of the bundle FILE (a tar file or a directory: safe
paths, sizes, every blob against its digest, all evidence about one image),
then copy its image and every piece of its evidence into the
repository REPO by digest: the image, the cosign .sig and .att tags, and the
OCI referrers with theirs, listed under the referrers tag schema where the
registry lacks the referrers API. REPO may carry a tag; a bare repository
gets the tag the image was exported as, if it was exported by tag. The tag
is written last. Signatures and the policy are not checked: run vouch verify
there (or vouch verify --offline on the bundle first).

A bundle exported without --with-layers imports only where the registry has
the image's layers already.

Exit codes: 0 imported; 2 bad usage or a bad bundle; 3 a registry or
network failure.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			lim, err := limits.limits()
			if err != nil {
				return err
			}
			return g.bundleImport(cmd, args[0], args[1], lim)
		},
	}
	limits.register(cmd)
	return cmd
}

func (g *globals) bundleImport(cmd *cobra.Command, file, dst string, limits bundle.Limits) error {
	if _, ok, _ := registry.ParseLayoutRef(dst); ok {
		return usageErr(fmt.Errorf("%s: bundle import writes to a registry, not to an OCI layout", dst))
	}
	b, err := bundle.Open(file, bundle.OpenOptions{Limits: limits, Logger: g.logger})
	if err != nil {
		return usageErr(err)
	}
	defer b.Close()
	src, err := b.Source()
	if err != nil {
		return usageErr(err)
	}
	g.layouts = append(g.layouts, src)
	res, err := bundle.Import(cmd.Context(), g.registry(), b, dst,
		bundle.ImportOptions{Logger: g.logger})
	if res != nil && (err == nil || len(res.Steps) > 0) {
		writeImport(cmd.OutOrStdout(), res)
	}
	switch {
	case errors.Is(err, bundle.ErrNotBundle), errors.Is(err, registry.ErrInvalidReference):
		return usageErr(err)
	case err != nil:
		return classify(err)
	}
	return nil
}

func writeImport(w io.Writer, res *promote.Result) {
	fmt.Fprintf(w, "Import of %s to %s:\n", res.Source, res.Destination)
	for _, s := range res.Steps {
		fmt.Fprintf(w, "  %-16s %-16s %s\n", s.Action, s.What, s.Target)
	}
}
