package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/vouchsec/vouch/pkg/sigstore"
)

// signBlobFlags are vouch sign-blob's flags.
type signBlobFlags struct {
	key, bundle, timestampURL string
}

func newSignBlobCmd(g *globals) *cobra.Command {
	f := &signBlobFlags{}
	cmd := &cobra.Command{
		Use:   "sign-blob --key KEY FILE --bundle OUT [--timestamp-url URL]",
		Short: "Sign a file with a cosign key into a Sigstore bundle",
		Long: `Sign FILE with the cosign private key KEY (ECDSA or RSA; the password is read
from VOUCH_PASSWORD or COSIGN_PASSWORD, or asked for on a terminal) and write a
Sigstore bundle v0.3 to OUT: a message signature over the file's SHA-256
digest, with a hint of the public key as verification material.

--timestamp-url adds an RFC 3161 timestamp from that timestamp authority over
the signature. Nothing is written to a transparency log: --no-tlog is implied
(Rekor comes later), so a verifier that requires a log entry refuses the
bundle. vouch verify-blob --key accepts the bundle when it has a timestamp
from a timestamp authority its --trusted-root lists; cosign verify-blob needs
--insecure-ignore-tlog=true --use-signed-timestamps for it.

OUT is written whole or not at all, mode 0644; an existing OUT is refused.

Exit codes: 0 signed; 2 bad usage, a bad key, a wrong password or an existing
OUT; 3 the timestamp authority failed.`,
		Example: `  vouch sign-blob --key cosign.key app.tar.gz --bundle app.tar.gz.sigstore.json \
    --timestamp-url https://timestamp.example.com/api/v1/timestamp`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.signBlob(cmd, args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.key, "key", "", "cosign private key file to sign with")
	fl.StringVar(&f.bundle, "bundle", "",
		"file to write the Sigstore bundle (JSON) to; must not exist")
	fl.StringVar(&f.timestampURL, "timestamp-url", "",
		"RFC 3161 timestamp authority URL to timestamp the signature")
	return cmd
}

// signBlob loads the key, signs the file and writes the bundle.
func (g *globals) signBlob(cmd *cobra.Command, file string, f *signBlobFlags) error {
	if err := f.check(); err != nil {
		return usageErr(err)
	}
	artifact, err := os.Open(file)
	if err != nil {
		return usageErr(fmt.Errorf("reading artifact: %w", err))
	}
	defer artifact.Close()
	sv, err := g.loadKey(f.key)
	if err != nil {
		return err
	}
	b, err := sigstore.SignBlob(cmd.Context(), artifact, sigstore.SignOptions{
		Signer: sv, TimestampURL: f.timestampURL,
	})
	if errors.Is(err, sigstore.ErrTimestampAuthority) {
		return registryErr(err)
	}
	if err != nil {
		return usageErr(fmt.Errorf("signing %s: %w", file, err))
	}
	if err := sigstore.WriteBundle(f.bundle, b); err != nil {
		return usageErr(err)
	}
	fmt.Fprintf(g.io.out, "Signed %s: wrote %s\n", file, f.bundle)
	return nil
}

// check refuses a missing flag, and an existing OUT before the password
// is asked for.
func (f *signBlobFlags) check() error {
	switch {
	case f.key == "":
		return errors.New("--key is required: keyless signing is not done yet")
	case f.bundle == "":
		return errors.New("--bundle is required")
	}
	if _, err := os.Lstat(f.bundle); err == nil {
		return fmt.Errorf("--bundle %s: %w", f.bundle, sigstore.ErrExists)
	}
	return nil
}
