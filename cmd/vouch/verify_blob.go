package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/spf13/cobra"

	"github.com/vouchsec/vouch/pkg/sigstore"
)

// verifyBlobFlags are vouch verify-blob's flags.
type verifyBlobFlags struct {
	bundle, key, trustedRoot, digest string
	identity                         sigstore.Identity
}

func newVerifyBlobCmd(g *globals) *cobra.Command {
	f := &verifyBlobFlags{}
	cmd := &cobra.Command{
		Use:   "verify-blob (FILE | --digest ALG:HEX) --bundle B --trusted-root TR [flags]",
		Short: "Verify a Sigstore bundle for a file, offline",
		Long: `Verify the Sigstore bundle B (v0.1 to v0.3, a message signature or a DSSE
envelope) for FILE, or for the artifact digest given with --digest, against
the trusted root TR (a trusted_root.json), with no network access.

The signer is either a public key (--key; the bundle must then carry no
certificate) or a certificate identity: --certificate-oidc-issuer matched
exactly, and --certificate-identity matched exactly or
--certificate-identity-regexp, which must match the whole identity (it is
anchored, unlike cosign's). A certificate must chain to the root's Fulcio
CA, carry an SCT from one of its CT logs and be valid at a time that a log
entry or a signed timestamp proves. A bundle that carries log entries or
signed timestamps must have at least one of each kind that verifies
against the root's log keys and timestamp authorities.

--trusted-root is required for now: fetching the public instance's root
with TUF is not done yet.

Exit codes: 0 verified; 1 verification failed (the failed check is named);
2 bad usage or a bad input file.`,
		Example: `  vouch verify-blob app.tar.gz --bundle app.tar.gz.sigstore.json \
    --certificate-identity https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1.4.0 \
    --certificate-oidc-issuer https://token.actions.githubusercontent.com \
    --trusted-root trusted_root.json
  vouch verify-blob --digest sha256:… --bundle app.sigstore.json \
    --key release.pub --trusted-root trusted_root.json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.verifyBlob(cmd, args, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.bundle, "bundle", "", "the Sigstore bundle (JSON) to verify")
	fl.StringVar(&f.key, "key", "", "PEM public key the bundle must be signed with")
	fl.StringVar(&f.identity.Subject, "certificate-identity", "",
		"certificate identity (SAN) required, exactly")
	fl.StringVar(&f.identity.SubjectRegexp, "certificate-identity-regexp", "",
		"regular expression the whole certificate identity (SAN) must match")
	fl.StringVar(&f.identity.Issuer, "certificate-oidc-issuer", "",
		"OIDC issuer the certificate must name, exactly")
	fl.StringVar(&f.trustedRoot, "trusted-root", "",
		"trusted_root.json holding the CAs, log keys and TSAs to trust")
	fl.StringVar(&f.digest, "digest", "", "the artifact's digest (sha256:HEX), in place of FILE")
	return cmd
}

// verifyBlob checks the flags, loads the inputs and verifies.
func (g *globals) verifyBlob(cmd *cobra.Command, args []string, f *verifyBlobFlags) error {
	if err := f.check(args); err != nil {
		return usageErr(err)
	}
	opts, closeArtifact, err := f.options(args)
	if err != nil {
		return usageErr(err)
	}
	defer closeArtifact()
	b, err := sigstore.LoadBundle(f.bundle)
	if err != nil {
		return usageErr(err)
	}
	res, err := sigstore.Verify(cmd.Context(), b, opts)
	var verdict *sigstore.VerificationError
	if errors.As(err, &verdict) {
		return policyErr(fmt.Errorf("%s: %w", f.bundle, err))
	}
	if err != nil {
		return usageErr(err)
	}
	printBlobResult(g.io.out, f.bundle, res)
	return nil
}

// check refuses flag combinations that cannot make one verification.
func (f *verifyBlobFlags) check(args []string) error {
	switch {
	case f.bundle == "":
		return errors.New("--bundle is required")
	case f.trustedRoot == "":
		// TODO(#4): default to the public instance's root, from TUF.
		return errors.New("--trusted-root is required: vouch verify-blob works offline " +
			"and does not fetch the public Sigstore root yet")
	case len(args) == 1 && f.digest != "":
		return errors.New("give FILE or --digest, not both")
	case len(args) == 0 && f.digest == "":
		return errors.New("give the FILE to verify, or its --digest")
	}
	id := f.identity != (sigstore.Identity{})
	if f.key != "" && id {
		return errors.New("--key and --certificate-* flags exclude each other")
	}
	if f.key == "" && !id {
		return errors.New("give --key, or --certificate-identity (or -regexp) " +
			"with --certificate-oidc-issuer")
	}
	return nil
}

// options loads the trusted root, the key and the artifact. The returned
// function closes the artifact.
func (f *verifyBlobFlags) options(args []string) (sigstore.Options, func(), error) {
	none := func() {}
	tr, err := sigstore.LoadTrustedRoot(f.trustedRoot)
	if err != nil {
		return sigstore.Options{}, none, err
	}
	opts := sigstore.Options{TrustedRoot: tr, Identity: f.identity}
	if f.key != "" {
		if opts.Key, err = sigstore.LoadPublicKey(f.key); err != nil {
			return sigstore.Options{}, none, err
		}
	}
	if f.digest != "" {
		d, err := sigstore.ParseDigest(f.digest)
		if err != nil {
			return sigstore.Options{}, none, fmt.Errorf("--digest: %w", err)
		}
		opts.Digest = &d
		return opts, none, nil
	}
	file, err := os.Open(args[0])
	if err != nil {
		return sigstore.Options{}, none, fmt.Errorf("reading artifact: %w", err)
	}
	opts.Artifact = file
	return opts, func() { _ = file.Close() }, nil
}

// printBlobResult says what was verified: the signer and the proven times.
func printBlobResult(w io.Writer, bundlePath string, res *verify.VerificationResult) {
	signer := "the key given"
	if res.Signature != nil && res.Signature.Certificate != nil {
		c := res.Signature.Certificate
		signer = fmt.Sprintf("%s (issuer %s)", c.SubjectAlternativeName, c.Issuer)
	}
	var times []string
	for _, t := range res.VerifiedTimestamps {
		times = append(times, t.Type+" "+t.Timestamp.UTC().Format(time.RFC3339))
	}
	if len(times) == 0 {
		times = []string{"none needed"}
	}
	fmt.Fprintf(w, "Verified OK: %s\n  signer: %s\n  time:   %s\n",
		bundlePath, signer, strings.Join(times, ", "))
	if res.Statement != nil {
		fmt.Fprintf(w, "  predicate type: %s\n", res.Statement.GetPredicateType())
	}
}
