package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	vcosign "github.com/vouchsec/vouch/pkg/cosign"
	"github.com/vouchsec/vouch/pkg/notation/devcert"
)

func newKeyCmd(g *globals) *cobra.Command {
	cmd := group(&cobra.Command{
		Use:   "key",
		Short: "Manage signing keys",
	})
	cmd.AddCommand(newKeyGenerateCmd(g))
	return cmd
}

// keyFlags are the flags of key generate.
type keyFlags struct {
	typ, prefix, subject, keyType string
	csr                           bool
	validity                      time.Duration
}

func newKeyGenerateCmd(g *globals) *cobra.Command {
	var f keyFlags
	cmd := &cobra.Command{
		Use:   "generate [--type cosign|notation] [--output-key-prefix P]",
		Short: "Generate a cosign key pair or a notation key and development certificates",
		Long: `--type cosign (the default) generates an ECDSA P-256 key pair: P.key, the
private key encrypted with a password in the format the cosign CLI reads
(mode 0600), and P.pub, the PEM public key. The password comes from
VOUCH_PASSWORD (or COSIGN_PASSWORD), or from a prompt when stdin is a terminal.

--type notation generates a Notary Project signing key and X.509 certificates
for it: P.key (PKCS#8 PEM, unencrypted, mode 0600, as notation keeps its local
keys), P.crt (the code-signing certificate followed by its chain) and P-ca.crt
(the root CA to put in a trust store). The certificates meet the Notary
Project's requirements (code-signing extended key usage, digitalSignature key
usage, key sizes). They are for development and tests only: the CA is made on
the spot and its key is thrown away. Production keys come from a real CA:
--csr writes P.key and a certificate signing request P.csr to send to it.

Existing files are never overwritten, and a failed run leaves none behind.`,
		Example: `  vouch key generate --output-key-prefix release
  vouch key generate --type notation --subject "CN=release,O=Acme,ST=WA,C=US" --output-key-prefix notary
  vouch key generate --type notation --csr --subject "CN=release,O=Acme,ST=WA,C=US" --output-key-prefix prod`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch f.typ {
			case "cosign":
				return g.generateCosign(cmd, f)
			case "notation":
				return generateNotation(cmd, f)
			}
			return usageErr(fmt.Errorf("--type: want cosign or notation, got %q", f.typ))
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.typ, "type", "cosign", "key type: cosign or notation")
	fl.StringVar(&f.prefix, "output-key-prefix", "", `path prefix of the files to write (default "cosign", or "notation" with --type notation)`)
	fl.StringVar(&f.subject, "subject", "CN=vouch-dev,O=vouch-dev,ST=WA,C=US", "notation: the certificate's subject distinguished name")
	fl.StringVar(&f.keyType, "key-type", devcert.KeyECP256, "notation: "+strings.Join([]string{
		devcert.KeyECP256, devcert.KeyECP384, devcert.KeyECP521,
		devcert.KeyRSA2048, devcert.KeyRSA3072, devcert.KeyRSA4096}, ", "))
	fl.DurationVar(&f.validity, "validity", devcert.DefaultValidity, "notation: lifetime of the development certificate")
	fl.BoolVar(&f.csr, "csr", false, "notation: write a key and a certificate signing request instead of certificates")
	return cmd
}

func (g *globals) generateCosign(cmd *cobra.Command, f keyFlags) error {
	for _, n := range []string{"subject", "key-type", "validity", "csr"} {
		if cmd.Flags().Changed(n) {
			return usageErr(fmt.Errorf("--%s goes with --type notation", n))
		}
	}
	prefix := f.prefix
	if prefix == "" {
		prefix = "cosign"
	}
	pw, err := g.password(true)
	if err != nil {
		return err
	}
	key, pub, err := vcosign.WriteKeyPair(prefix, pw)
	if errors.Is(err, vcosign.ErrExists) {
		return usageErr(err)
	}
	if err != nil {
		return fmt.Errorf("generating key pair: %w", err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "Private key written to %s\nPublic key written to %s\n", key, pub)
	return nil
}

func generateNotation(cmd *cobra.Command, f keyFlags) error {
	prefix := f.prefix
	if prefix == "" {
		prefix = "notation"
	}
	if strings.HasSuffix(prefix, "/") || strings.HasSuffix(prefix, string(filepath.Separator)) {
		return usageErr(fmt.Errorf("--output-key-prefix %q ends in a directory separator: "+
			"add a file name, such as %snotary", prefix, prefix))
	}
	subject, err := devcert.ParseSubject(f.subject)
	if err != nil {
		return usageErr(fmt.Errorf("--subject: %w", err))
	}
	if len(subject.Country) == 0 || len(subject.Province) == 0 || len(subject.Organization) == 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: --subject %q lacks C, ST or O: a trust policy "+
			"identity (x509.subject) must name all three, so only identities [\"*\"] will match\n", f.subject)
	}
	if f.validity <= 0 {
		return usageErr(fmt.Errorf("--validity %s: want a positive duration", f.validity))
	}
	out := cmd.OutOrStdout()
	if f.csr {
		if cmd.Flags().Changed("validity") {
			return usageErr(errors.New("--validity does not go with --csr: the CA decides the lifetime"))
		}
		files, err := devcert.WriteCSR(prefix, subject, f.keyType)
		if err != nil {
			return usageErr(err)
		}
		fmt.Fprintf(out, "Private key written to %s\nCertificate signing request written to %s\n",
			files.Key, files.CSR)
		return nil
	}
	set, err := devcert.New(devcert.Options{Subject: subject, Validity: f.validity, KeyType: f.keyType})
	if err != nil {
		return usageErr(err)
	}
	files, err := set.Write(prefix)
	if err != nil {
		return usageErr(err)
	}
	fmt.Fprintf(out, "Private key written to %s\nCertificate chain written to %s\n"+
		"Development root CA written to %s (for a trust store; not for production)\n",
		files.Key, files.Cert, files.CA)
	return nil
}
