package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	nx509 "github.com/notaryproject/notation-core-go/x509"
	"github.com/spf13/cobra"
	"oras.land/oras-go/v2/registry/remote/auth"

	vnotation "github.com/vouchsec/vouch/pkg/notation"
	"github.com/vouchsec/vouch/pkg/registry"
)

// The signing backends of sign and attest.
const (
	backendCosign   = "cosign"
	backendNotation = "notation"
)

// signFlags are the signing flags sign and attest share.
type signFlags struct {
	backend, key string
	notation     notationFlags
	sigstore     sigstoreFlags
}

// notationFlags are the flags of the notation backend.
type notationFlags struct {
	cert, envelope     string
	tsaURL, tsaRoot    string
	plugin, keyID, dir string
	pluginConfig       map[string]string
	expiry             time.Duration
	userMetadata       map[string]string
}

// notationOnly are the flags that only the notation backend reads.
var notationOnly = []string{"cert", "envelope", "timestamp-root",
	"plugin", "key-id", "plugin-config", "plugin-dir", "expiry", "user-metadata"}

func (f *signFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.backend, "backend", backendCosign, "signing backend: cosign or notation")
	fl.StringVar(&f.key, "key", "", "private key file: a cosign key, or with --backend notation a PEM key")
	f.sigstore.register(fl, true)
	n := &f.notation
	fl.StringVar(&n.cert, "cert", "", "notation: PEM certificate chain of --key, signing certificate first")
	fl.StringVar(&n.envelope, "envelope", vnotation.EnvelopeJWS, "notation: signature envelope, jws or cose")
	fl.StringVar(&n.tsaURL, "timestamp-url", "",
		"RFC 3161 timestamp authority: over the cosign signature, or a notation countersignature (with --timestamp-root)")
	fl.StringVar(&n.tsaRoot, "timestamp-root", "", "notation: PEM root certificate(s) of the timestamp authority")
	fl.StringVar(&n.plugin, "plugin", "", "notation: sign with this notation plugin instead of --key")
	fl.StringVar(&n.keyID, "key-id", "", "notation: the plugin's key identifier")
	fl.StringToStringVar(&n.pluginConfig, "plugin-config", nil, "notation: plugin configuration, k=v (repeatable)")
	fl.StringVar(&n.dir, "plugin-dir", "", "notation: plugin directory (default: where notation looks for plugins)")
	fl.DurationVar(&n.expiry, "expiry", 0, "notation: make the signature expire this long after signing (whole seconds)")
	fl.StringToStringVar(&n.userMetadata, "user-metadata", nil, "notation: signed annotation k=v (repeatable)")
}

// check refuses flags that do not go with the chosen backend.
func (f *signFlags) check(cmd *cobra.Command) error {
	switch f.backend {
	case backendCosign:
		for _, n := range notationOnly {
			if cmd.Flags().Changed(n) {
				return usageErr(fmt.Errorf("--%s goes with --backend notation", n))
			}
		}
		f.sigstore.timestampURL = f.notation.tsaURL
		return f.sigstore.check(cmd, f.key)
	case backendNotation:
		for _, n := range sigstoreOnly {
			if cmd.Flags().Changed(n) {
				return usageErr(fmt.Errorf("--%s goes with --backend cosign", n))
			}
		}
		return f.notation.check(f.key)
	}
	return usageErr(fmt.Errorf("--backend: want cosign or notation, got %q", f.backend))
}

func (n *notationFlags) check(key string) error {
	switch {
	case n.plugin != "" && (key != "" || n.cert != ""):
		return usageErr(errors.New("--plugin signs with the plugin's key: give --key-id, not --key or --cert"))
	case n.plugin != "" && n.keyID == "":
		return usageErr(errors.New("--plugin needs --key-id, the key the plugin signs with"))
	case n.plugin == "" && (n.keyID != "" || len(n.pluginConfig) > 0 || n.dir != ""):
		return usageErr(errors.New("--key-id, --plugin-config and --plugin-dir go with --plugin"))
	case n.plugin == "" && (key == "" || n.cert == ""):
		return usageErr(errors.New("--backend notation needs --key and --cert, or --plugin and --key-id"))
	case (n.tsaURL == "") != (n.tsaRoot == ""):
		return usageErr(errors.New("--timestamp-url and --timestamp-root go together"))
	}
	if _, err := vnotation.EnvelopeMediaType(n.envelope); err != nil {
		return usageErr(fmt.Errorf("--envelope: %w", err))
	}
	if n.expiry < 0 || n.expiry%time.Second != 0 {
		return usageErr(fmt.Errorf("--expiry %s: want a positive whole number of seconds", n.expiry))
	}
	if n.tsaURL != "" {
		u, err := url.Parse(n.tsaURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usageErr(fmt.Errorf("--timestamp-url %q: want an http or https URL", n.tsaURL))
		}
	}
	for k := range n.userMetadata {
		if strings.HasPrefix(k, reservedMetadataPrefix) {
			return usageErr(fmt.Errorf("--user-metadata %s: keys starting with %s are reserved for notation",
				k, reservedMetadataPrefix))
		}
	}
	return nil
}

// reservedMetadataPrefix starts the annotation keys notation keeps for
// itself, which user metadata may not use.
const reservedMetadataPrefix = "io.cncf.notary"

// refuseLayout refuses an image in an OCI layout where a command writes.
func refuseLayout(image string) error {
	if _, ok, _ := registry.ParseLayoutRef(image); ok {
		return usageErr(fmt.Errorf("%s: OCI layouts are read-only to vouch; push the image to a registry "+
			"to sign or attest it", image))
	}
	return nil
}

// notationSigner loads the local key and certificate, or the plugin.
func (f *signFlags) notationSigner(ctx context.Context) (vnotation.Signer, error) {
	n := &f.notation
	var (
		s   vnotation.Signer
		err error
	)
	if n.plugin != "" {
		s, err = vnotation.NewPluginSigner(ctx, vnotation.PluginOptions{
			Name: n.plugin, KeyID: n.keyID, Config: n.pluginConfig, Dir: n.dir,
		})
	} else {
		s, err = vnotation.LoadSigner(f.key, n.cert)
	}
	if err != nil {
		return nil, usageErr(err)
	}
	return s, nil
}

// notationSignOptions builds the notation backend's options.
func (g *globals) notationSignOptions(reg *registry.Client, n *notationFlags) (vnotation.SignOptions, error) {
	opts := vnotation.SignOptions{
		Registry:     g.notationRegistry(reg),
		Envelope:     n.envelope,
		Expiry:       n.expiry,
		TSAURL:       n.tsaURL,
		PluginConfig: n.pluginConfig,
		UserMetadata: n.userMetadata,
		Logger:       g.logger,
	}
	if n.tsaRoot != "" {
		roots, err := readRoots(n.tsaRoot)
		if err != nil {
			return opts, usageErr(fmt.Errorf("--timestamp-root: %w", err))
		}
		opts.TSARoots = roots
	}
	return opts, nil
}

// notationRegistry returns registry options for the notation backend that
// share reg's transport, so that its requests are counted and served the
// same way, and one token cache for the whole command.
func (g *globals) notationRegistry(reg *registry.Client) vnotation.RegistryOptions {
	return vnotation.RegistryOptions{
		Transport: reg.Transport(),
		AuthCache: auth.NewCache(),
		UserAgent: "vouch/" + versionString(),
	}
}

// readRoots reads PEM (or DER) certificates that must all be CAs.
func readRoots(path string) ([]*x509.Certificate, error) {
	certs, err := nx509.ReadCertificateFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, c := range certs {
		if !c.IsCA {
			return nil, fmt.Errorf("%s: certificate %q is not a CA", path, c.Subject)
		}
	}
	return certs, nil
}
