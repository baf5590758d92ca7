package main

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/vouchsec/vouch/pkg/policy"
	"github.com/vouchsec/vouch/pkg/sigstore"
)

// Signature storage formats for cosign-backend signatures.
const (
	formatClassic = "classic"
	formatBundle  = "bundle"
)

// sigstoreFlags are the flags of Sigstore signing: keyless identity,
// Fulcio, Rekor, timestamp authority and trusted root. sign, attest and
// sign-blob share them.
type sigstoreFlags struct {
	keyless                bool
	identityToken          string
	fulcioURL, rekorURL    string
	timestampURL           string
	noTlog                 bool
	trustedRoot            string
	format                 string
	oidcIssuer, oidcClient string
}

// sigstoreOnly are the flags that only Sigstore signing reads.
var sigstoreOnly = []string{"keyless", "identity-token", "fulcio-url", "rekor-url", "no-tlog",
	"trusted-root", "signature-format", "oidc-issuer", "oidc-client-id"}

func (s *sigstoreFlags) register(fl *pflag.FlagSet, formats bool) {
	fl.BoolVar(&s.keyless, "keyless", false,
		"sign with a short-lived Fulcio certificate for your OIDC identity instead of a key")
	fl.StringVar(&s.identityToken, "identity-token", "",
		"keyless: OIDC identity token, or @FILE to read it (default: $SIGSTORE_ID_TOKEN, "+
			"then GitHub Actions' token, then a browser sign-in on a terminal)")
	fl.StringVar(&s.fulcioURL, "fulcio-url", sigstore.PublicFulcioURL, "keyless: Fulcio instance")
	fl.StringVar(&s.rekorURL, "rekor-url", sigstore.PublicRekorURL,
		"Rekor transparency log to record the signature in (keyless: by default; "+
			"with --key: only when this flag is given)")
	fl.BoolVar(&s.noTlog, "no-tlog", false, "record nothing in a transparency log")
	fl.StringVar(&s.trustedRoot, "trusted-root", "",
		"trusted_root.json of a private Sigstore deployment; the new signature is checked against it "+
			"(default with the public instance: its root from TUF)")
	fl.StringVar(&s.oidcIssuer, "oidc-issuer", sigstore.PublicOIDCIssuer,
		"keyless: OIDC issuer of the browser sign-in")
	fl.StringVar(&s.oidcClient, "oidc-client-id", "sigstore", "keyless: OIDC client of the browser sign-in")
	if formats {
		fl.StringVar(&s.format, "signature-format", formatClassic,
			"classic: cosign's .sig/.att tags with annotations; bundle: a Sigstore bundle v0.3 "+
				"as an OCI 1.1 referrer, as cosign v3 writes it")
	}
}

// check refuses contradictory Sigstore flags.
func (s *sigstoreFlags) check(cmd *cobra.Command, key string) error {
	changed := cmd.Flags().Changed
	switch {
	case s.keyless && key != "":
		return usageErr(errors.New("give --key or --keyless, not both"))
	case !s.keyless && key == "":
		return usageErr(errors.New("--key is required (the cosign private key file), or --keyless"))
	case !s.keyless && (changed("identity-token") || changed("fulcio-url") ||
		changed("oidc-issuer") || changed("oidc-client-id")):
		return usageErr(errors.New("--identity-token, --fulcio-url, --oidc-issuer and --oidc-client-id go with --keyless"))
	case s.noTlog && changed("rekor-url"):
		return usageErr(errors.New("--no-tlog and --rekor-url contradict each other"))
	case s.keyless && s.noTlog && s.timestampURL == "":
		return usageErr(errors.New("--no-tlog leaves a keyless signature with no proven signing " +
			"time, and its certificate expires in minutes: give --timestamp-url too"))
	case changed("identity-token") && s.identityToken == "":
		return usageErr(errors.New("--identity-token is empty"))
	case changed("signature-format") && s.format == "":
		return usageErr(errors.New("--signature-format is empty: want classic or bundle"))
	case s.format != "" && s.format != formatClassic && s.format != formatBundle:
		return usageErr(fmt.Errorf("--signature-format: want classic or bundle, got %q", s.format))
	}
	for flag, u := range map[string]string{"fulcio-url": s.fulcioURL, "rekor-url": s.rekorURL,
		"timestamp-url": s.timestampURL, "oidc-issuer": s.oidcIssuer} {
		if u == "" && flag != "timestamp-url" && changed(flag) {
			return usageErr(fmt.Errorf("--%s is empty", flag))
		}
		if u == "" {
			continue
		}
		if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return usageErr(fmt.Errorf("--%s %q: want an http or https URL", flag, u))
		}
	}
	return nil
}

// uses reports whether a key signature needs Sigstore signing rather
// than the plain cosign path: a log, a timestamp or the bundle format.
func (s *sigstoreFlags) uses(cmd *cobra.Command) bool {
	return s.keyless || s.format == formatBundle || cmd.Flags().Changed("rekor-url") ||
		s.timestampURL != "" || s.trustedRoot != ""
}

// options builds the signing options: the key or the identity token,
// the log, the timestamp authority and the trusted root to check the
// result against. The token is looked for only when signing keyless.
func (g *globals) sigstoreOptions(cmd *cobra.Command, s *sigstoreFlags, key string) (sigstore.SignOptions, error) {
	var opts sigstore.SignOptions
	if key != "" {
		sv, err := g.loadKey(key)
		if err != nil {
			return opts, err
		}
		opts.Signer = sv
	} else {
		tok, source, err := sigstore.IDToken(cmd.Context(), sigstore.TokenOptions{
			Flag: s.identityToken,
			Getenv: func(k string) string {
				v, _ := g.io.env(k)
				return v
			},
			Interactive: g.io.inTerminal,
			OIDCIssuer:  s.oidcIssuer,
			ClientID:    s.oidcClient,
		})
		switch {
		case errors.Is(err, sigstore.ErrNoToken), errors.Is(err, sigstore.ErrInput):
			return opts, usageErr(err)
		case err != nil:
			return opts, registryErr(err)
		}
		g.logger.Debug("identity token", "source", source)
		opts.Keyless = &sigstore.Keyless{FulcioURL: s.fulcioURL, IDToken: tok}
	}
	// With a key the log is opt-in; keyless it is the default.
	if !s.noTlog && (key == "" || cmd.Flags().Changed("rekor-url")) {
		opts.RekorURL = s.rekorURL
	}
	opts.TimestampURL = s.timestampURL
	tr, err := s.checkRoot(cmd, key)
	if err != nil {
		return opts, err
	}
	if tr != nil {
		if err := rootCovers(tr, opts); err != nil {
			return opts, usageErr(fmt.Errorf("--trusted-root %s: %w; nothing was signed", s.trustedRoot, err))
		}
		opts.TrustedRoot = tr
	}
	return opts, nil
}

// rootCovers refuses, before anything is signed or logged, a trusted root
// that could not verify what opts would make: a keyless signature needs a
// Fulcio CA and a CT log, a log entry a Rekor key, a timestamp an
// authority.
func rootCovers(tr *root.TrustedRoot, opts sigstore.SignOptions) error {
	switch {
	case opts.Keyless != nil && len(tr.FulcioCertificateAuthorities()) == 0:
		return errors.New("it lists no Fulcio certificate authority, so no keyless certificate would verify")
	case opts.Keyless != nil && len(tr.CTLogs()) == 0:
		return errors.New("it lists no CT log, so no Fulcio certificate's SCT would verify")
	case opts.RekorURL != "" && len(tr.RekorLogs()) == 0:
		return errors.New("it lists no Rekor log, so no log entry would verify")
	case opts.TimestampURL != "" && len(tr.TimestampingAuthorities()) == 0:
		return errors.New("it lists no timestamp authority, so no timestamp would verify")
	}
	return nil
}

// checkRoot returns the trusted root the new signature is checked
// against: --trusted-root, or the public instance's from TUF when
// signing keyless there. A private deployment without --trusted-root is
// not checked, and nothing is when signing with a key and no log.
func (s *sigstoreFlags) checkRoot(cmd *cobra.Command, key string) (*root.TrustedRoot, error) {
	if s.trustedRoot != "" {
		tr, err := sigstore.LoadTrustedRoot(s.trustedRoot)
		if err != nil {
			return nil, usageErr(err)
		}
		return tr, nil
	}
	public := key == "" && !cmd.Flags().Changed("fulcio-url") &&
		(s.noTlog || !cmd.Flags().Changed("rekor-url"))
	if !public {
		return nil, nil
	}
	tr, err := sigstore.PublicTrustedRoot()
	if err != nil {
		return nil, registryErr(err)
	}
	return tr, nil
}

// publicRoot gives the keyless signers of pol that name no trusted root
// the public Sigstore instance's, fetched through TUF (and cached, as
// sigstore-go's client keeps it), when there are any.
func publicRoot(pol *policy.Policy) error {
	if !pol.NeedsPublicRoot() {
		return nil
	}
	tr, err := sigstore.PublicTrustedRoot()
	if err != nil {
		return registryErr(err)
	}
	pol.UsePublicRoot(tr)
	return nil
}

// signErr picks the exit code for a signing failure: a service that
// failed is a network failure, anything else bad input.
func signErr(err error) error {
	switch {
	case errors.Is(err, sigstore.ErrFulcio), errors.Is(err, sigstore.ErrRekor),
		errors.Is(err, sigstore.ErrTimestampAuthority):
		return registryErr(err)
	default:
		return classify(err)
	}
}

// describeBundle says what a new signature carries, for the line that
// reports it: the certificate's identity, the log entry, the timestamp.
func describeBundle(b *bundle.Bundle, format string) string {
	if format == "" {
		format = formatClassic
	}
	parts := []string{format}
	vc, err := b.VerificationContent()
	if err == nil {
		if c := vc.Certificate(); c != nil {
			if s, err := certificate.SummarizeCertificate(c); err == nil {
				parts = append(parts, fmt.Sprintf("certificate for %s from %s",
					s.SubjectAlternativeName, s.Extensions.Issuer))
			}
		} else {
			parts = append(parts, "key")
		}
	}
	if entries, err := b.TlogEntries(); err == nil && len(entries) > 0 {
		parts = append(parts, fmt.Sprintf("Rekor log index %d", entries[0].LogIndex()))
	}
	if stamps := b.GetVerificationMaterial().GetTimestampVerificationData().GetRfc3161Timestamps(); len(stamps) > 0 {
		parts = append(parts, "RFC 3161 timestamp")
	}
	return strings.Join(parts, ", ")
}
