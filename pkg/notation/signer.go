package notation

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"

	notationgo "github.com/notaryproject/notation-go"
	"github.com/notaryproject/notation-go/dir"
	"github.com/notaryproject/notation-go/plugin"
	"github.com/notaryproject/notation-go/signer"
)

// Signer produces notation signature envelopes: a local key with its
// certificate chain, or a notation plugin.
type Signer = notationgo.Signer

// NewSigner returns a signer for a private key and its certificate chain,
// signing certificate first and root last.
func NewSigner(key crypto.PrivateKey, chain []*x509.Certificate) (Signer, error) {
	s, err := signer.NewGenericSigner(key, chain)
	if err != nil {
		return nil, fmt.Errorf("notation signer: %w", err)
	}
	return s, nil
}

// LoadSigner returns a signer for the PEM private key in keyFile (PKCS#8,
// PKCS#1 or SEC 1) and the PEM certificate chain in certFile, signing
// certificate first.
func LoadSigner(keyFile, certFile string) (Signer, error) {
	s, err := signer.NewGenericSignerFromFiles(keyFile, certFile)
	if err != nil {
		return nil, fmt.Errorf("loading notation key %s and certificate %s: %w", keyFile, certFile, err)
	}
	return s, nil
}

// PluginOptions name a notation signing plugin and the key it signs with.
type PluginOptions struct {
	// Name is the plugin's name: its executable is Dir/Name/notation-Name.
	Name string
	// KeyID is the key identifier the plugin understands.
	KeyID string
	// Config is passed to the plugin with every request.
	Config map[string]string
	// Dir is the plugin directory; empty means where notation looks for
	// plugins (its user config directory's plugins folder).
	Dir string
}

// NewPluginSigner returns a signer that delegates to an installed notation
// plugin, as the Notary Project plugin specification describes.
func NewPluginSigner(ctx context.Context, o PluginOptions) (Signer, error) {
	if o.Name == "" {
		return nil, errors.New("notation plugin: no plugin name")
	}
	fs := dir.PluginFS()
	if o.Dir != "" {
		fs = dir.NewSysFS(o.Dir)
	}
	p, err := plugin.NewCLIManager(fs).Get(ctx, o.Name)
	if err != nil {
		return nil, fmt.Errorf("notation plugin %q: %w", o.Name, err)
	}
	s, err := signer.NewPluginSigner(p, o.KeyID, o.Config)
	if err != nil {
		return nil, fmt.Errorf("notation plugin %q: %w", o.Name, err)
	}
	return s, nil
}
