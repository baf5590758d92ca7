package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/spf13/cobra"

	"github.com/vouchsec/vouch/pkg/policy"
	"github.com/vouchsec/vouch/pkg/sigstore"
	vverify "github.com/vouchsec/vouch/verify"
)

// verifyBlobFlags are vouch verify-blob's flags.
type verifyBlobFlags struct {
	bundle, key, trustedRoot, digest string
	identity                         sigstore.Identity
	// policy and signers are --policy and --signer.
	policy  string
	signers []string
}

func newVerifyBlobCmd(g *globals) *cobra.Command {
	f := &verifyBlobFlags{}
	cmd := &cobra.Command{
		Use:   "verify-blob (FILE | --digest ALG:HEX) --bundle B [--trusted-root TR | --policy P]",
		Short: "Verify a Sigstore bundle for a file",
		Long: `Verify the Sigstore bundle B (v0.1 to v0.3, a message signature or a DSSE
envelope) for FILE, or for the artifact digest given with --digest, against
the trusted root TR (a trusted_root.json). With a trusted root the check is
offline; the log entry is proven by what the bundle carries, never looked up.

The signer is either a public key (--key; the bundle must then carry no
certificate) or a certificate identity: --certificate-oidc-issuer matched
exactly, and --certificate-identity matched exactly or
--certificate-identity-regexp, which must match the whole identity (it is
anchored, unlike cosign's). A certificate must chain to the root's Fulcio
CA, carry an SCT from one of its CT logs and be valid at a time that a log
entry or a signed timestamp proves. A bundle that carries log entries or
signed timestamps must have at least one of each kind that verifies
against the root's log keys and timestamp authorities.

Without --trusted-root (and without --policy) the root is the public
Sigstore instance's, fetched through TUF (cached in ~/.sigstore/root and
refreshed as the TUF metadata says); when TUF cannot be reached the
command fails with exit 3.

With --policy P the signers are those of the trust policy P instead, and
--key and --certificate-* are refused. A file has no registry scope, so
the policy's image policies play no part: every cosign signer of its
signers map is tried (--signer NAME, repeatable, keeps only the named
ones; notation signers never apply), and the bundle verifies when at least
one of them accepts it. A keyless signer brings its own trustedRoot,
requireTlog, requireTimestamp and claims, which --trusted-root does not
override. A key signer uses its trustedRoot, or else --trusted-root, which
is then required. The output names the signer that verified and the
identity, and says for each signer that refused why.

Exit codes: 0 verified; 1 verification failed (the failed check is named;
with --policy, no signer verified the bundle); 2 bad usage or a bad input
file (a policy error names file:line:column); 3 the public trusted root
could not be fetched through TUF.`,
		Example: `  vouch verify-blob app.tar.gz --bundle app.tar.gz.sigstore.json \
    --certificate-identity https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1.4.0 \
    --certificate-oidc-issuer https://token.actions.githubusercontent.com \
    --trusted-root trusted_root.json
  vouch verify-blob --digest sha256:… --bundle app.sigstore.json \
    --key release.pub --trusted-root trusted_root.json
  vouch verify-blob app.tar.gz --bundle app.tar.gz.sigstore.json \
    --policy trust-policy.yaml --signer release-ci`,
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
		"trusted_root.json holding the CAs, log keys and TSAs to trust "+
			"(default: the public Sigstore instance's, through TUF)")
	fl.StringVar(&f.digest, "digest", "",
		"the artifact's digest (sha256:HEX, sha384:HEX or sha512:HEX), in place of FILE")
	fl.StringVar(&f.policy, "policy", "",
		"trust policy whose cosign signers may have signed the bundle")
	fl.StringArrayVar(&f.signers, "signer", nil,
		"with --policy, try only this signer (repeatable)")
	return cmd
}

// verifyBlob checks the flags, loads the inputs and verifies.
func (g *globals) verifyBlob(cmd *cobra.Command, args []string, f *verifyBlobFlags) error {
	if err := f.check(args); err != nil {
		return usageErr(err)
	}
	if f.policy != "" {
		return g.verifyBlobPolicy(cmd, args, f)
	}
	opts, closeArtifact, err := f.options(args)
	if err != nil {
		return classify(err)
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
	case len(args) == 1 && f.digest != "":
		return errors.New("give FILE or --digest, not both")
	case len(args) == 0 && f.digest == "":
		return errors.New("give the FILE to verify, or its --digest")
	}
	id := f.identity != (sigstore.Identity{})
	if f.policy != "" {
		if f.key != "" || id {
			return errors.New("--policy excludes --key and --certificate-* flags: " +
				"the policy's signers say who may sign")
		}
		return nil
	}
	if len(f.signers) > 0 {
		return errors.New("--signer names a signer of --policy; give --policy")
	}
	if f.key != "" && id {
		return errors.New("--key and --certificate-* flags exclude each other")
	}
	switch i := f.identity; {
	case f.key == "" && !id:
		return errors.New("give --key, or --certificate-identity (or -regexp) " +
			"with --certificate-oidc-issuer")
	case f.key != "":
	case i.Subject != "" && i.SubjectRegexp != "":
		return errors.New("give --certificate-identity or --certificate-identity-regexp, not both")
	case i.Issuer == "":
		return errors.New("--certificate-oidc-issuer is required with --certificate-identity " +
			"(or -regexp): the issuer is matched exactly")
	case i.Subject == "" && i.SubjectRegexp == "":
		return errors.New("--certificate-oidc-issuer needs --certificate-identity " +
			"or --certificate-identity-regexp")
	}
	return nil
}

// options loads the trusted root, the key and the artifact. The returned
// function closes the artifact.
func (f *verifyBlobFlags) options(args []string) (sigstore.Options, func(), error) {
	none := func() {}
	var tr *root.TrustedRoot
	var err error
	if f.trustedRoot == "" {
		if tr, err = sigstore.PublicTrustedRoot(); err != nil {
			return sigstore.Options{}, none, registryErr(err)
		}
	} else if tr, err = sigstore.LoadTrustedRoot(f.trustedRoot); err != nil {
		return sigstore.Options{}, none, err
	}
	opts := sigstore.Options{TrustedRoot: tr, Identity: f.identity}
	if f.key != "" {
		if opts.Key, err = sigstore.LoadPublicKey(f.key); err != nil {
			return sigstore.Options{}, none, err
		}
	}
	a, err := f.artifact(args)
	if err != nil {
		return sigstore.Options{}, none, err
	}
	if err := a.set(&opts); err != nil {
		a.close()
		return sigstore.Options{}, none, err
	}
	return opts, a.close, nil
}

// blobArtifact is the artifact to verify: its digest, or the open file.
type blobArtifact struct {
	digest *sigstore.Digest
	file   *os.File
}

// artifact opens FILE or parses --digest.
func (f *verifyBlobFlags) artifact(args []string) (*blobArtifact, error) {
	if f.digest != "" {
		d, err := sigstore.ParseDigest(f.digest)
		if err != nil {
			return nil, fmt.Errorf("--digest: %w", err)
		}
		return &blobArtifact{digest: &d}, nil
	}
	file, err := os.Open(args[0])
	if err != nil {
		return nil, fmt.Errorf("reading artifact: %w", err)
	}
	return &blobArtifact{file: file}, nil
}

// set puts the artifact in opts, from its start: each verification reads
// the file anew.
func (a *blobArtifact) set(opts *sigstore.Options) error {
	if a.digest != nil {
		opts.Digest = a.digest
		return nil
	}
	if _, err := a.file.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("reading artifact: %w", err)
	}
	opts.Artifact = a.file
	return nil
}

func (a *blobArtifact) close() {
	if a.file != nil {
		_ = a.file.Close()
	}
}

// printBlobResult says what was verified: the signer and the proven times.
func printBlobResult(w io.Writer, bundlePath string, res *verify.VerificationResult) {
	printBlobVerified(w, bundlePath, blobIdentity(res, "the key given"), res)
}

// printBlobVerified is printBlobResult with the signer described.
func printBlobVerified(w io.Writer, bundlePath, signer string, res *verify.VerificationResult) {
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

// blobIdentity is the certificate identity res proves, or key when the
// bundle was signed with a key.
func blobIdentity(res *verify.VerificationResult, key string) string {
	if res.Signature != nil && res.Signature.Certificate != nil {
		c := res.Signature.Certificate
		return fmt.Sprintf("%s (issuer %s)", c.SubjectAlternativeName, c.Issuer)
	}
	return key
}

// blobSignerResult is one policy signer's verdict on the bundle: res when
// it verified, else err.
type blobSignerResult struct {
	signer *policy.Signer
	res    *verify.VerificationResult
	err    error
}

// verifyBlobPolicy verifies the bundle against each chosen cosign signer
// of the policy; it passes when one of them accepts it.
func (g *globals) verifyBlobPolicy(cmd *cobra.Command, args []string, f *verifyBlobFlags) error {
	p, err := policy.Load(f.policy)
	if err != nil {
		return usageErr(err)
	}
	if err := publicRoot(p); err != nil {
		return err
	}
	signers, err := blobSigners(p, f.signers)
	if err != nil {
		return usageErr(err)
	}
	keyRoot, err := f.keyTrustedRoot(signers)
	if err != nil {
		return usageErr(err)
	}
	b, err := sigstore.LoadBundle(f.bundle)
	if err != nil {
		return usageErr(err)
	}
	a, err := f.artifact(args)
	if err != nil {
		return usageErr(err)
	}
	defer a.close()
	var results []blobSignerResult
	verified := false
	for _, s := range signers {
		r, err := verifyBlobSigner(cmd, b, a, s, keyRoot)
		if err != nil {
			return usageErr(err)
		}
		verified = verified || r.err == nil
		results = append(results, r)
	}
	printBlobPolicyResult(g.io.out, f.bundle, results)
	if !verified {
		return policyErr(fmt.Errorf("%s: no signer of %s verified the bundle", f.bundle, f.policy))
	}
	return nil
}

// verifyBlobSigner verifies the bundle against one signer. A verdict is in
// the result; the error is for options that cannot be used.
func verifyBlobSigner(cmd *cobra.Command, b *bundle.Bundle, a *blobArtifact, s *policy.Signer,
	keyRoot root.TrustedMaterial) (blobSignerResult, error) {
	opts, err := blobSignerOptions(s, keyRoot)
	if err == nil {
		err = a.set(&opts)
	}
	if err != nil {
		return blobSignerResult{}, err
	}
	res, err := sigstore.Verify(cmd.Context(), b, opts)
	var verdict *sigstore.VerificationError
	if err != nil && !errors.As(err, &verdict) {
		return blobSignerResult{}, fmt.Errorf("signer %q: %w", s.Name, err)
	}
	return blobSignerResult{signer: s, res: res, err: err}, nil
}

// blobSigners picks the policy's cosign signers in file order, or the ones
// named, which must be cosign signers of the policy.
func blobSigners(p *policy.Policy, names []string) ([]*policy.Signer, error) {
	var all []*policy.Signer
	for _, s := range p.Signers {
		if s.Cosign != nil {
			all = append(all, s)
		}
	}
	slices.SortFunc(all, func(a, b *policy.Signer) int {
		return cmp.Or(cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Column, b.Pos.Column))
	})
	if len(all) == 0 {
		return nil, fmt.Errorf("%s has no cosign signer: a Sigstore bundle is verified "+
			"against cosign keys and keyless identities", p.Path)
	}
	if len(names) == 0 {
		return all, nil
	}
	var out []*policy.Signer
	for _, n := range names {
		s := p.Signers[n]
		switch {
		case s == nil:
			return nil, fmt.Errorf("--signer %q: %s has no such signer; its cosign signers are: %s",
				n, p.Path, signerNames(all))
		case s.Cosign == nil:
			return nil, fmt.Errorf("--signer %q is a %s signer; a Sigstore bundle is verified "+
				"against cosign signers: %s", n, s.Kind(), signerNames(all))
		case !slices.Contains(out, s):
			out = append(out, s)
		}
	}
	return out, nil
}

func signerNames(signers []*policy.Signer) string {
	names := make([]string, len(signers))
	for i, s := range signers {
		names[i] = s.Name
	}
	return strings.Join(names, ", ")
}

// keyTrustedRoot loads --trusted-root, for the key signers that have no
// trustedRoot of their own; it is required when one of them is chosen.
func (f *verifyBlobFlags) keyTrustedRoot(signers []*policy.Signer) (root.TrustedMaterial, error) {
	if f.trustedRoot != "" {
		return sigstore.LoadTrustedRoot(f.trustedRoot)
	}
	for _, s := range signers {
		if c := s.Cosign; c.Keyless == nil && c.TrustedRoot == nil {
			return nil, fmt.Errorf("signer %q is a key with no trustedRoot: give --trusted-root "+
				"for its bundles' log entries and timestamps, or leave it out with --signer", s.Name)
		}
	}
	return nil, nil
}

// blobSignerOptions says what the bundle must prove for signer s: a
// keyless signer's identity, claims, proofs and trusted root, or a key
// with its trusted root, else keyRoot.
func blobSignerOptions(s *policy.Signer, keyRoot root.TrustedMaterial) (sigstore.Options, error) {
	c := s.Cosign
	if k := c.Keyless; k != nil {
		return vverify.KeylessOptions(k)
	}
	v, err := signature.LoadDefaultVerifier(c.PublicKey)
	if err != nil {
		return sigstore.Options{}, fmt.Errorf("signer %q: loading key %s: %w", s.Name, c.KeyPath, err)
	}
	opts := sigstore.Options{TrustedRoot: keyRoot, Key: v}
	if c.TrustedRoot != nil {
		opts.TrustedRoot = c.TrustedRoot
	}
	return opts, nil
}

// printBlobPolicyResult says which signer verified the bundle, if one did,
// and each signer's verdict, one a line.
func printBlobPolicyResult(w io.Writer, bundlePath string, results []blobSignerResult) {
	var first *blobSignerResult
	for i := range results {
		if results[i].err == nil && first == nil {
			first = &results[i]
		}
	}
	if first != nil {
		printBlobVerified(w, bundlePath, first.signer.Name+": "+blobSignerIdentity(*first), first.res)
	} else {
		fmt.Fprintf(w, "Not verified: %s\n", bundlePath)
	}
	fmt.Fprintf(w, "  signers:\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range results {
		if r.err == nil {
			fmt.Fprintf(tw, "    %s\tverified\t%s\n", r.signer.Name, blobSignerIdentity(r))
		} else {
			fmt.Fprintf(tw, "    %s\trefused\t%v\n", r.signer.Name, r.err)
		}
	}
	_ = tw.Flush()
}

// blobSignerIdentity describes the identity a signer verified.
func blobSignerIdentity(r blobSignerResult) string {
	return blobIdentity(r.res, "key "+r.signer.Cosign.KeyPath)
}
