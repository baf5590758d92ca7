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
)

func newAttestCmd(g *globals) *cobra.Command {
	var key, sbomFile, scanFile string
	cmd := &cobra.Command{
		Use:   "attest --key KEY (--sbom FILE | --scan FILE) IMAGE",
		Short: "Attach a signed SBOM or scan-result attestation to an image",
		Long: `Wrap an SBOM or a vulnerability scan report in an in-toto Statement v1 whose
subject is the image's digest, sign it (DSSE) and store it as cosign does
(the sha256-<hex>.att tag), where "cosign verify-attestation" finds it.

--sbom takes SPDX 2.x JSON (predicate https://spdx.dev/Document) or CycloneDX
JSON (predicate https://cyclonedx.org/bom). --scan takes Trivy JSON (schema 2),
Grype JSON or SARIF 2.1.0, stored as the cosign vulnerability predicate
(https://cosign.sigstore.dev/attestation/vuln/v1). Inputs are validated: a
file that is not what the flag says is refused.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (sbomFile == "") == (scanFile == "") {
				return usageErr(errors.New("give exactly one of --sbom and --scan"))
			}
			predType, predicate, err := readPredicate(sbomFile, scanFile)
			if err != nil {
				return usageErr(err)
			}
			sv, err := g.loadKey(key)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			reg := g.registry()
			d, _, err := reg.Resolve(ctx, args[0])
			if err != nil {
				return classify(fmt.Errorf("resolving %s: %w", args[0], err))
			}
			st, err := statement(d, predType, predicate)
			if err != nil {
				return err
			}
			written, err := vcosign.Attest(ctx, d, sv, st, predType, reg.RemoteOptions(ctx))
			if err != nil {
				return classify(fmt.Errorf("attesting %s: %w", d, err))
			}
			verb := "Attested"
			if !written {
				verb = "Already attested"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s (%s)\n", verb, d, predType)
			return nil
		},
	}
	cmd.Flags().StringVar(&key, "key", "", "cosign private key file (required)")
	cmd.Flags().StringVar(&sbomFile, "sbom", "", "SBOM file: SPDX 2.x JSON or CycloneDX JSON")
	cmd.Flags().StringVar(&scanFile, "scan", "", "scan report: Trivy JSON, Grype JSON or SARIF 2.1.0")
	_ = cmd.MarkFlagRequired("key")
	return cmd
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
