package registry

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Client talks to OCI registries through go-containerregistry with one
// shared, counting http.RoundTripper and credentials from a keychain (by
// default the Docker config and credential helpers). It is safe for
// concurrent use.
type Client struct {
	transport *countingTransport
	keychain  authn.Keychain
	userAgent string
	logger    *slog.Logger
	insecure  map[string]bool

	mu   sync.Mutex
	sess *session
}

// session holds the ggcr Puller and Pusher that cache pings and tokens per
// repository. A session is dropped after a network failure, because ggcr
// would otherwise keep returning the failed setup for that repository.
type session struct {
	puller *remote.Puller
	pusher *remote.Pusher
}

// Option configures a Client.
type Option func(*options)

type options struct {
	transport http.RoundTripper
	insecure  []string
	logger    *slog.Logger
	userAgent string
	keychain  authn.Keychain
	layouts   []*Layout
}

// WithTransport sets the base transport; the default is ggcr's
// remote.DefaultTransport. The Client wraps it to count requests.
func WithTransport(rt http.RoundTripper) Option {
	return func(o *options) { o.transport = rt }
}

// WithInsecure makes the Client talk plain HTTP, without TLS, to these
// registries (host or host:port, as written in references). Loopback
// addresses and localhost need no entry: ggcr uses HTTP for them already.
func WithInsecure(hosts ...string) Option {
	return func(o *options) { o.insecure = append(o.insecure, hosts...) }
}

// WithLogger sets the logger for request traces (debug level). The default
// discards everything.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.logger = l }
}

// WithUserAgent adds ua to the User-Agent header of every request.
func WithUserAgent(ua string) Option {
	return func(o *options) { o.userAgent = ua }
}

// WithKeychain sets where credentials come from; the default is
// authn.DefaultKeychain.
func WithKeychain(k authn.Keychain) Option {
	return func(o *options) { o.keychain = k }
}

// WithLayout serves the OCI image layout l to the Client, and to every
// library using its [Client.RemoteOptions] or [Client.Transport]: requests
// to the registry host of l's scope reach l, in process, instead of the
// network, over HTTP and HTTPS alike. Give it once per layout; layouts
// should have different registry hosts, or the last one given wins.
func WithLayout(l *Layout) Option {
	return func(o *options) { o.layouts = append(o.layouts, l) }
}

// New returns a Client.
func New(opts ...Option) *Client {
	o := options{
		transport: remote.DefaultTransport,
		logger:    slog.New(slog.DiscardHandler),
		keychain:  authn.DefaultKeychain,
	}
	for _, opt := range opts {
		opt(&o)
	}
	base := o.transport
	for _, l := range o.layouts {
		base = l.Transport(base)
	}
	c := &Client{
		transport: &countingTransport{base: base, logger: o.logger},
		keychain:  o.keychain,
		userAgent: o.userAgent,
		logger:    o.logger,
		insecure:  map[string]bool{},
	}
	for _, h := range o.insecure {
		c.insecure[h] = true
	}
	return c
}

// Requests returns the number of HTTP requests the Client has sent so far,
// failed attempts included (such as ggcr's HTTPS probe of a plain-HTTP
// registry).
func (c *Client) Requests() int64 {
	return c.transport.requests.Load()
}

// Transport returns the Client's counting transport, for libraries that
// make their own HTTP clients (oras-go, for notation), so that their
// requests are counted and routed as the Client's own are.
func (c *Client) Transport() http.RoundTripper {
	return c.transport
}

// baseOptions are the ggcr options every call shares.
func (c *Client) baseOptions() []remote.Option {
	opts := []remote.Option{
		remote.WithTransport(c.transport),
		remote.WithAuthFromKeychain(c.keychain),
	}
	if c.userAgent != "" {
		opts = append(opts, remote.WithUserAgent(c.userAgent))
	}
	return opts
}

// RemoteOptions returns ggcr options that share this Client's transport,
// credentials and cached pings and tokens, for libraries that call ggcr
// themselves (cosign: ociremote.WithRemoteOptions). ctx bounds every request
// made with them. Classify their errors with [Classify].
func (c *Client) RemoteOptions(ctx context.Context) []remote.Option {
	opts := append(c.baseOptions(), remote.WithContext(ctx))
	s, err := c.session()
	if err != nil {
		c.logger.WarnContext(ctx, "registry session not shared", "error", err)
		return opts
	}
	return append(opts, remote.Reuse(s.puller), remote.Reuse(s.pusher))
}

// session returns the current session, making one if needed.
func (c *Client) session() (*session, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess != nil {
		return c.sess, nil
	}
	puller, err := remote.NewPuller(c.baseOptions()...)
	if err != nil {
		return nil, fmt.Errorf("setting up registry reads: %w", err)
	}
	pusher, err := remote.NewPusher(c.baseOptions()...)
	if err != nil {
		return nil, fmt.Errorf("setting up registry writes: %w", err)
	}
	c.sess = &session{puller: puller, pusher: pusher}
	return c.sess, nil
}

// done classifies err and, on a network failure, drops session s so that the
// next call starts afresh.
func (c *Client) done(s *session, err error) error {
	err = Classify(err)
	if isNetworkErr(err) {
		c.mu.Lock()
		if c.sess == s {
			c.sess = nil
		}
		c.mu.Unlock()
	}
	return err
}
