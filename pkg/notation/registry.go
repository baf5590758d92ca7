package notation

import (
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
)

// RegistryOptions configure how registries are reached. The zero value
// uses the Docker config keychain and TLS for every registry but loopback
// ones.
type RegistryOptions struct {
	// Keychain supplies credentials; nil means authn.DefaultKeychain (the
	// Docker config file and its credential helpers).
	Keychain authn.Keychain
	// Transport is the base HTTP transport; nil means
	// http.DefaultTransport.
	Transport http.RoundTripper
	// PlainHTTPHosts are registries (host or host:port) reached over plain
	// HTTP, without TLS. Loopback addresses and localhost always are.
	PlainHTTPHosts []string
	// UserAgent is sent with every request when set.
	UserAgent string
	// AuthCache keeps the auth schemes and tokens learned from registries;
	// give one to every call of a batch to fetch each token once. Nil
	// means a fresh cache for each repository opened.
	AuthCache auth.Cache
}

// repository returns an oras client for the repository of ref.
func (o *RegistryOptions) repository(repo name.Repository) (*remote.Repository, error) {
	r, err := remote.NewRepository(repo.Name())
	if err != nil {
		return nil, fmt.Errorf("repository %s: %w", repo.Name(), err)
	}
	host := repo.RegistryStr()
	r.PlainHTTP = o.plainHTTP(host)
	client := &auth.Client{
		Client:     &http.Client{Transport: o.transport()},
		Cache:      o.authCache(),
		Credential: o.credential,
	}
	if o.UserAgent != "" {
		client.SetUserAgent(o.UserAgent)
	}
	r.Client = client
	return r, nil
}

func (o *RegistryOptions) authCache() auth.Cache {
	if o.AuthCache != nil {
		return o.AuthCache
	}
	return auth.NewCache()
}

func (o *RegistryOptions) transport() http.RoundTripper {
	if o.Transport != nil {
		return o.Transport
	}
	return http.DefaultTransport
}

// plainHTTP reports whether host is reached without TLS.
func (o *RegistryOptions) plainHTTP(host string) bool {
	for _, h := range o.PlainHTTPHosts {
		if h == host {
			return true
		}
	}
	hostname := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		hostname = h
	}
	hostname = strings.Trim(hostname, "[]")
	if hostname == "localhost" {
		return true
	}
	ip := net.ParseIP(hostname)
	return ip != nil && ip.IsLoopback()
}

// credential answers oras's credential lookups from the keychain.
func (o *RegistryOptions) credential(ctx context.Context, hostport string) (auth.Credential, error) {
	kc := o.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	reg, err := name.NewRegistry(hostport)
	if err != nil {
		return auth.EmptyCredential, fmt.Errorf("registry %q: %w", hostport, err)
	}
	a, err := authn.Resolve(ctx, kc, reg)
	if err != nil {
		return auth.EmptyCredential, fmt.Errorf("credentials for %s: %w", hostport, err)
	}
	cfg, err := authn.Authorization(ctx, a)
	if err != nil {
		return auth.EmptyCredential, fmt.Errorf("credentials for %s: %w", hostport, err)
	}
	return credentialOf(cfg), nil
}

func credentialOf(cfg *authn.AuthConfig) auth.Credential {
	c := auth.Credential{
		Username:     cfg.Username,
		Password:     cfg.Password,
		RefreshToken: cfg.IdentityToken,
		AccessToken:  cfg.RegistryToken,
	}
	if c.Username == "" && c.Password == "" && cfg.Auth != "" {
		if raw, err := base64.StdEncoding.DecodeString(cfg.Auth); err == nil {
			c.Username, c.Password, _ = strings.Cut(string(raw), ":")
		}
	}
	return c
}

// resolve returns the descriptor of the manifest d names, read from the
// registry.
func resolve(ctx context.Context, r *remote.Repository, d name.Digest) (ocispec.Descriptor, error) {
	desc, err := r.Resolve(ctx, d.DigestStr())
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("resolving %s: %w", d, err)
	}
	if desc.Digest.String() != d.DigestStr() {
		return ocispec.Descriptor{}, fmt.Errorf("resolving %s: registry answered with %s", d, desc.Digest)
	}
	return desc, nil
}
