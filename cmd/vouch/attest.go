package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"

	"github.com/vouchsec/vouch/attest"
	vcosign "github.com/vouchsec/vouch/pkg/cosign"
	vnotation "github.com/vouchsec/vouch/pkg/notation"
)

func newAttestCmd(g *globals) *cobra.Command {
	var f signFlags
	var sbomFile, scanFile string
	cmd := &cobra.Command{
		Use:   "attest [--backend cosign|notation] --key KEY (--sbom FILE | --scan FILE) IMAGE",
		Short: "Attach a signed SBOM or scan-result attestation to an image",
		Long: `Wrap an SBOM or a vulnerability scan report in an in-toto Statement v1 whose
subject is the image's digest, sign it and attach it to the image.

--sbom takes SPDX 2.x JSON (predicate https://spdx.dev/Document) or CycloneDX
JSON (predicate https://cyclonedx.org/bom). --scan takes Trivy JSON (schema 2),
Grype JSON or SARIF 2.1.0, stored as the cosign vulnerability predicate
(https://cosign.sigstore.dev/attestation/vuln/v1). Inputs are validated: a
file that is not what the flag says is refused.

--backend cosign (the default) signs the statement in a DSSE envelope with a
cosign key and stores it as cosign does (the sha256-<hex>.att tag), where
"cosign verify-attestation" finds it.

--backend notation stores the statement as an OCI 1.1 artifact (artifact type
application/vnd.in-toto+json) whose subject is the image, and signs that
artifact with notation, taking the same signing flags as "vouch sign
--backend notation".`,
		Example: `  vouch attest --key ci.key --sbom sbom.spdx.json registry.example.com/app:1.0
  vouch attest --key ci.key --scan trivy.json registry.example.com/app:1.0
  vouch attest --backend notation --key notary.key --cert notary.crt --sbom bom.cdx.json registry.example.com/app:1.0`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (sbomFile == "") == (scanFile == "") {
				return usageErr(errors.New("give exactly one of --sbom and --scan"))
			}
			if err := f.check(cmd); err != nil {
				return err
			}
			if err := refuseLayout(args[0]); err != nil {
				return err
			}
			predType, predicate, err := readPredicate(sbomFile, scanFile)
			if err != nil {
				return usageErr(err)
			}
			return g.attest(cmd, &f, args[0], predType, predicate)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&sbomFile, "sbom", "", "SBOM file: SPDX 2.x JSON or CycloneDX JSON")
	cmd.Flags().StringVar(&scanFile, "scan", "", "scan report: Trivy JSON, Grype JSON or SARIF 2.1.0")
	return cmd
}

// attest signs the statement for image with the chosen backend and
// attaches it. Keys are loaded before the registry is touched.
func (g *globals) attest(cmd *cobra.Command, f *signFlags, image, predType string, predicate []byte) error {
	ctx := cmd.Context()
	reg := g.registry()
	var att func(d name.Digest, st []byte) (string, error)
	switch f.backend {
	case backendNotation:
		s, err := f.notationSigner(ctx)
		if err != nil {
			return err
		}
		opts, err := g.notationSignOptions(reg, &f.notation)
		if err != nil {
			return err
		}
		att = func(d name.Digest, st []byte) (string, error) {
			a, err := vnotation.Attest(ctx, d, st, s, opts)
			return fmt.Sprintf("Attested %s (%s, notation-signed artifact %s)",
				d, predType, a.Manifest.Digest), err
		}
	default:
		sv, err := g.loadKey(f.key)
		if err != nil {
			return err
		}
		att = func(d name.Digest, st []byte) (string, error) {
			written, err := vcosign.Attest(ctx, d, sv, st, predType, reg.RemoteOptions(ctx))
			if err != nil {
				return "", fmt.Errorf("attesting %s: %w", d, err)
			}
			verb := "Attested"
			if !written {
				verb = "Already attested"
			}
			return fmt.Sprintf("%s %s (%s)", verb, d, predType), err
		}
	}
	d, err := g.resolve(cmd, reg, image)
	if err != nil {
		return err
	}
	st, err := statement(d, predType, predicate)
	if err != nil {
		return err
	}
	msg, err := att(d, st)
	if err != nil {
		return classify(err)
	}
	fmt.Fprintln(cmd.OutOrStdout(), msg)
	return nil
}

// readPredicate parses and validates the input file and returns the
// predicate type and body.
func readPredicate(sbomFile, scanFile string) (string, []byte, error) {
	if sbomFile != "" {
		data, err := os.ReadFile(sbomFile)
		if err != nil {
			return "", nil, fmt.Errorf("reading SBOM: %w", err)
		}
		s, err := attest.ParseSBOM(data)
		if err != nil {
			return "", nil, fmt.Errorf("%s: %w", sbomFile, err)
		}
		return s.PredicateType(), s.Document, nil
	}
	data, err := os.ReadFile(scanFile)
	if err != nil {
		return "", nil, fmt.Errorf("reading scan report: %w", err)
	}
	s, err := attest.ParseScan(data)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", scanFile, err)
	}
	p, err := s.Predicate()
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", scanFile, err)
	}
	return attest.PredicateVuln, p, nil
}

func statement(d name.Digest, predType string, predicate []byte) ([]byte, error) {
	h, err := v1.NewHash(d.DigestStr())
	if err != nil {
		return nil, fmt.Errorf("parsing digest: %w", err)
	}
	return attest.Statement(d.Context().Name(), h, predType, predicate)
}
