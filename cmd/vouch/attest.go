package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/spf13/cobra"

	"github.com/vouchsec/vouch/attest"
	vcosign "github.com/vouchsec/vouch/pkg/cosign"
	vnotation "github.com/vouchsec/vouch/pkg/notation"
	"github.com/vouchsec/vouch/pkg/sigstore"
)

func newAttestCmd(g *globals) *cobra.Command {
	var f signFlags
	var sbomFile, scanFile string
	cmd := &cobra.Command{
		Use:   "attest [--backend cosign|notation] (--key KEY | --keyless) (--sbom FILE | --scan FILE) IMAGE",
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
"cosign verify-attestation" finds it. --keyless signs it with a Fulcio
certificate for your OIDC identity, and --signature-format bundle stores a
Sigstore bundle v0.3 as an OCI 1.1 referrer instead, as cosign v3 does; the
identity, log, timestamp and trusted-root flags are those of "vouch sign"
(see vouch sign --help).

Exit codes: 0 attested (or, with a key, already attested); 2 bad usage, a
file that is not what its flag says, a bad key or identity token; 3 the
registry, Fulcio, Rekor or the timestamp authority failed.

--backend notation stores the statement as an OCI 1.1 artifact (artifact type
application/vnd.in-toto+json) whose subject is the image, and signs that
artifact with notation, taking the same signing flags as "vouch sign
--backend notation".`,
		Example: `  vouch attest --key ci.key --sbom sbom.spdx.json registry.example.com/app:1.0
  vouch attest --key ci.key --scan trivy.json registry.example.com/app:1.0
  vouch attest --keyless --sbom sbom.spdx.json registry.example.com/app:1.0
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
	switch {
	case f.backend == backendNotation:
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
	case f.backend == backendCosign && f.sigstore.uses(cmd):
		opts, err := g.sigstoreOptions(cmd, &f.sigstore, f.key)
		if err != nil {
			return err
		}
		att = func(d name.Digest, st []byte) (string, error) {
			return g.attestSigstore(cmd, &f.sigstore, d, st, predType, opts, reg.RemoteOptions(ctx))
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

// attestSigstore signs the statement through pkg/sigstore (keyless, or
// with a key and a log, a timestamp or the bundle format) and stores it
// in the format asked for.
func (g *globals) attestSigstore(cmd *cobra.Command, s *sigstoreFlags, d name.Digest, st []byte,
	predType string, opts sigstore.SignOptions, ropts []remote.Option) (string, error) {
	ctx := cmd.Context()
	if _, err := vcosign.CheckStatement(st, d, predType); err != nil {
		return "", err
	}
	classic := s.format != formatBundle
	signOpts := opts
	if classic {
		// The classic timestamp is over the envelope, asked for below.
		signOpts.TimestampURL = ""
	}
	b, err := sigstore.SignStatement(ctx, st, signOpts)
	if err != nil {
		return "", signErr(fmt.Errorf("attesting %s: %w", d, err))
	}
	var stamped bool
	if classic {
		var tsr []byte
		if opts.TimestampURL != "" {
			env, err := vcosign.Envelope(b)
			if err != nil {
				return "", usageErr(err)
			}
			if tsr, err = sigstore.Timestamp(ctx, opts.TimestampURL, opts.Timeout, env); err != nil {
				return "", signErr(fmt.Errorf("attesting %s: %w", d, err))
			}
			stamped = true
		}
		a, aerr := vcosign.AttestationFromBundle(b, predType, tsr)
		if aerr != nil {
			return "", usageErr(aerr)
		}
		err = vcosign.AppendAttestation(ctx, d, a, ropts)
	} else {
		err = vcosign.WriteBundle(ctx, d, b, predType, ropts)
	}
	if err != nil {
		return "", fmt.Errorf("storing the attestation of %s: %w", d, err)
	}
	desc := describeBundle(b, s.format)
	if stamped {
		desc += ", RFC 3161 timestamp"
	}
	return fmt.Sprintf("Attested %s (%s; %s)", d, predType, desc), nil
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
