package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/vouchsec/vouch/pkg/bundle"
	vnotation "github.com/vouchsec/vouch/pkg/notation"
	"github.com/vouchsec/vouch/pkg/policy"
	"github.com/vouchsec/vouch/pkg/registry"
	"github.com/vouchsec/vouch/pkg/report"
	"github.com/vouchsec/vouch/verify"
)

// verifyFlags are the flags of vouch verify.
type verifyFlags struct {
	policyFile, output, outputFile, scope, imagesFile string
	jobs                                              int
	offline                                           bool
	bundle, at                                        string
}

func newVerifyCmd(g *globals) *cobra.Command {
	var f verifyFlags
	cmd := &cobra.Command{
		Use:   "verify --policy FILE [flags] IMAGE...",
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

--images-file (-f) FILE adds the images listed in FILE, one a line, after
the IMAGE arguments; blank lines and lines starting with # are skipped, and
- reads the list from standard input. A line that is not an image reference
is a usage error naming the file and line, before anything is fetched.
Up to --jobs images are verified at once; images that resolve to the same
digest in one repository (two tags of one image) are verified once. The
report lists every image in input order.

Output is a table (-o table, the default), the JSON report (-o json), a
SARIF 2.1.0 log for code scanning (-o sarif) or JUnit XML (-o junit); the
formats are documented in docs/verify-report.md. With --output-file FILE
the report in the -o format is written to FILE, replaced whole or not at
all, and the table goes to standard output; it is written whether or not
the images pass.

--offline --bundle FILE verifies from an audit bundle (vouch bundle export)
alone and makes no network connection of any kind, not even for revocation:
the bundled CRLs stand in for the CRL servers, and what the bundle cannot
prove offline fails. Without IMAGE the bundle's image is verified; without
--policy the bundled policy is used. --at TIME evaluates maxAge and waivers as
of TIME (RFC 3339 or YYYY-MM-DD), online or offline.

Exit codes: 0 every image passes; 1 the policy is not met; 2 bad usage or a
bad input file; 3 a registry or network failure. With several images the
highest code wins.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.verify(cmd, args, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.policyFile, "policy", "", "trust policy file (required, but for --offline, where the bundle's is the default)")
	fl.StringVarP(&f.output, "output", "o", "table", "report format: table, json, sarif or junit")
	fl.StringVar(&f.outputFile, "output-file", "",
		"write the report (in the -o format) to this file, and the table to standard output")
	fl.StringVarP(&f.imagesFile, "images-file", "f", "",
		"file listing images to verify, one a line (# comments; - for standard input)")
	fl.IntVar(&f.jobs, "jobs", 4, "how many images to verify at once")
	fl.StringVar(&f.scope, "scope", "", scopeUsage)
	fl.BoolVar(&f.offline, "offline", false, "verify from --bundle alone: no network connection of any kind")
	fl.StringVar(&f.bundle, "bundle", "", "with --offline: the audit bundle (FILE.tar or a directory)")
	fl.StringVar(&f.at, "at", "", "evaluate maxAge and waivers as of this time (RFC 3339 or YYYY-MM-DD)")
	(&bundleLimitFlags{}).register(cmd)
	return cmd
}

func (g *globals) verify(cmd *cobra.Command, args []string, f verifyFlags) error {
	format, err := report.ParseFormat(f.output)
	if err != nil {
		return usageErr(err)
	}
	if f.jobs < 1 {
		return usageErr(fmt.Errorf("--jobs %d: want at least 1", f.jobs))
	}
	if err := checkOutputFile(f.outputFile); err != nil {
		return err
	}
	images := args
	if f.imagesFile != "" {
		listed, err := readImageList(cmd.InOrStdin(), f.imagesFile)
		if err != nil {
			return err
		}
		images = append(images[:len(images):len(images)], listed...)
	}
	at, err := parseAt(f.at)
	if err != nil {
		return err
	}
	if cmd.Flags().Changed("at") && f.at == "" {
		return usageErr(errors.New("--at is empty: give a time (RFC 3339 or YYYY-MM-DD)"))
	}
	if !f.offline && (cmd.Flags().Changed("max-bundle-size") || cmd.Flags().Changed("max-bundle-entries")) {
		return usageErr(errors.New("--max-bundle-size and --max-bundle-entries go with --offline"))
	}
	if f.offline {
		return g.verifyOffline(cmd, f, format, images, at)
	}
	if f.bundle != "" {
		return usageErr(errors.New("--bundle goes with --offline"))
	}
	if f.policyFile == "" {
		return usageErr(errors.New(`required flag "policy" not set`))
	}
	if len(images) == 0 {
		return usageErr(errors.New("no images to verify: give IMAGE arguments or --images-file"))
	}
	refs, err := g.openImages(cmd, images, f.scope)
	if err != nil {
		return err
	}
	opts, err := g.verifyOptions(cmd, f.policyFile)
	if err != nil {
		return err
	}
	opts.Jobs, opts.Now = f.jobs, at
	rep := verify.Images(cmd.Context(), refs, opts)
	if err := writeVerifyReport(cmd.OutOrStdout(), format, f.outputFile, rep); err != nil {
		return err
	}
	return reportErr(rep)
}

// verifyOffline verifies images from the bundle alone, with no network.
func (g *globals) verifyOffline(cmd *cobra.Command, f verifyFlags, format report.Format,
	images []string, at time.Time) error {
	switch {
	case f.bundle == "":
		return usageErr(errors.New("--offline needs --bundle FILE"))
	case f.scope != "":
		return usageErr(errors.New("--scope does not go with --offline: the bundle records its repository"))
	}
	refs, cleanup, err := g.offlineImages(cmd, f.bundle, images)
	if err != nil {
		return err
	}
	// After the report, so that the bundle's warnings on stderr come last.
	defer cleanup()
	opts, err := g.offlineVerifyOptions(cmd, f.policyFile, at)
	if err != nil {
		return err
	}
	opts.Jobs = f.jobs
	rep := verify.Images(cmd.Context(), refs, opts)
	if f.policyFile == "" {
		// The bundled policy was laid out in a temporary directory that
		// is gone when the command ends: name it as the bundle holds it.
		if b, ok := cmd.Context().Value(offlineKey{}).(*bundle.Bundle); ok {
			rep.Policy = fmt.Sprintf("%s in %s", b.PolicyTitle(), f.bundle)
		}
	}
	if err := writeVerifyReport(cmd.OutOrStdout(), format, f.outputFile, rep); err != nil {
		return err
	}
	return reportErr(rep)
}

// checkOutputFile refuses an --output-file that cannot be written, before
// any work is done.
func checkOutputFile(path string) error {
	if path == "" {
		return nil
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return usageErr(fmt.Errorf("--output-file %s: is a directory", path))
	}
	fi, err := os.Stat(filepath.Dir(path))
	if err != nil {
		return usageErr(fmt.Errorf("--output-file %s: %w", path, err))
	}
	if !fi.IsDir() {
		return usageErr(fmt.Errorf("--output-file %s: %s is not a directory", path, filepath.Dir(path)))
	}
	return nil
}

// writeVerifyReport writes the report to w in format f or, when file is
// set, to file in format f and to w as a table.
func writeVerifyReport(w io.Writer, f report.Format, file string, rep *verify.Report) error {
	opts := report.Options{ToolVersion: versionString()}
	if file == "" {
		if err := report.Write(w, f, rep, opts); err != nil {
			return fmt.Errorf("writing report: %w", err)
		}
		return nil
	}
	ferr := report.WriteFile(file, f, rep, opts)
	if err := report.WriteTable(w, rep); err != nil {
		return errors.Join(ferr, fmt.Errorf("writing report: %w", err))
	}
	return ferr
}

// verifyOptions loads the policy and sets up the registry and backends.
func (g *globals) verifyOptions(cmd *cobra.Command, policyFile string) (verify.Options, error) {
	pol, err := policy.Load(policyFile)
	if err != nil {
		return verify.Options{}, usageErr(err)
	}
	if err := publicRoot(pol); err != nil {
		return verify.Options{}, err
	}
	reg := g.registry()
	return verify.Options{
		Policy:   pol,
		Resolver: reg,
		Backends: []verify.Backend{
			verify.NewCosignBackend(reg.RemoteOptions(cmd.Context())),
			verify.NewSigstoreBundleBackend(reg.RemoteOptions(cmd.Context())),
			verify.NewNotationBackend(g.notationRegistry(reg), vnotation.VerifyOptions{Logger: g.logger}),
		},
		ImageReader: reg,
		Logger:      g.logger,
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
