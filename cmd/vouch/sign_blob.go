package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/vouchsec/vouch/pkg/sigstore"
)

// signBlobFlags are vouch sign-blob's flags.
type signBlobFlags struct {
	key, bundle string
	sigstore    sigstoreFlags
}

func newSignBlobCmd(g *globals) *cobra.Command {
	f := &signBlobFlags{}
	cmd := &cobra.Command{
		Use:   "sign-blob (--key KEY | --keyless) FILE --bundle OUT",
		Short: "Sign a file, with a cosign key or keyless, into a Sigstore bundle",
		Long: `Sign FILE and write a Sigstore bundle v0.3 to OUT: a message signature over the
file's SHA-256 digest, with its verification material.

--key signs with the cosign private key KEY (ECDSA or RSA; the password is
read from VOUCH_PASSWORD or COSIGN_PASSWORD, or asked for on a terminal); the
bundle names the public key by a hint. Nothing is logged unless --rekor-url
is given.

--keyless signs with a fresh key and a short-lived Fulcio certificate for your
OIDC identity, which goes into the bundle; the signature is recorded in Rekor
unless --no-tlog. The identity token comes from --identity-token (a token or
@FILE), $SIGSTORE_ID_TOKEN, GitHub Actions' ambient token, or a browser
sign-in on a terminal. The defaults are the public Sigstore instance and its
trusted root from TUF; --fulcio-url, --rekor-url and --trusted-root select a
private deployment, and the new bundle is checked against the trusted root
before it is written.

--timestamp-url adds an RFC 3161 timestamp from that authority over the
signature. A bundle with neither a log entry nor a timestamp proves no
signing time: verifiers refuse a keyless one, and vouch verify-blob --key
refuses one too.

OUT is written whole or not at all, mode 0644; an existing OUT is refused.

Exit codes: 0 signed; 2 bad usage, a bad key, a wrong password, no identity
token or an existing OUT; 3 Fulcio, Rekor or the timestamp authority failed.`,
		Example: `  vouch sign-blob --key cosign.key app.tar.gz --bundle app.tar.gz.sigstore.json \
    --timestamp-url https://timestamp.example.com/api/v1/timestamp
  vouch sign-blob --keyless app.tar.gz --bundle app.tar.gz.sigstore.json
  SIGSTORE_ID_TOKEN=$(cat token.jwt) vouch sign-blob --keyless --fulcio-url https://fulcio.internal \
    --rekor-url https://rekor.internal --trusted-root trusted_root.json app.tar.gz --bundle app.sigstore.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.signBlob(cmd, args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.key, "key", "", "cosign private key file to sign with")
	fl.StringVar(&f.bundle, "bundle", "",
		"file to write the Sigstore bundle (JSON) to; must not exist")
	fl.StringVar(&f.sigstore.timestampURL, "timestamp-url", "",
		"RFC 3161 timestamp authority URL to timestamp the signature")
	f.sigstore.register(fl, false)
	return cmd
}

// signBlob loads the key, signs the file and writes the bundle.
func (g *globals) signBlob(cmd *cobra.Command, file string, f *signBlobFlags) error {
	if err := f.sigstore.check(cmd, f.key); err != nil {
		return err
	}
	if err := f.check(); err != nil {
		return usageErr(err)
	}
	artifact, err := os.Open(file)
	if err != nil {
		return usageErr(fmt.Errorf("reading artifact: %w", err))
	}
	defer artifact.Close()
	opts, err := g.sigstoreOptions(cmd, &f.sigstore, f.key)
	if err != nil {
		return err
	}
	b, err := sigstore.SignBlob(cmd.Context(), artifact, opts)
	if err != nil {
		return signErr(fmt.Errorf("signing %s: %w", file, err))
	}
	if err := sigstore.WriteBundle(f.bundle, b); err != nil {
		return usageErr(err)
	}
	fmt.Fprintf(g.io.out, "Signed %s: wrote %s (%s)\n", file, f.bundle, describeBundle(b, "bundle"))
	return nil
}

// check refuses a missing flag, and an existing OUT before the password
// is asked for.
func (f *signBlobFlags) check() error {
	if f.bundle == "" {
		return errors.New("--bundle is required")
	}
	if _, err := os.Lstat(f.bundle); err == nil {
		return fmt.Errorf("--bundle %s: %w", f.bundle, sigstore.ErrExists)
	}
	// Signing keyless or into a log cannot be undone: the directory the
	// bundle goes to must take a file before anything is signed.
	dir := filepath.Dir(f.bundle)
	probe, err := os.CreateTemp(dir, ".vouch-probe-*")
	if err != nil {
		return fmt.Errorf("--bundle %s: cannot write into %s: %w", f.bundle, dir, err)
	}
	probe.Close()
	return os.Remove(probe.Name())
}
