package registry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
)

// DefaultAddr is where Serve listens when ServeOptions.Addr is empty.
const DefaultAddr = "127.0.0.1:5000"

// ServeOptions configures the embedded registry. The zero value serves on
// DefaultAddr, in memory, without the referrers API.
type ServeOptions struct {
	// Addr is the host:port to listen on. A non-loopback address is served
	// too, with a warning: the registry has no TLS and no authentication.
	Addr string
	// Dir keeps blobs on disk (under Dir/blobs) and a journal of manifest
	// writes (Dir/manifests.jsonl) that is replayed at start, so a registry
	// started again on the same Dir serves what it held. Empty keeps
	// everything in memory, lost on exit.
	Dir string
	// Referrers turns on the OCI 1.1 referrers API. Without it clients use
	// the referrers tag schema.
	Referrers bool
	// Logger gets one debug record per request; nil discards them.
	Logger *slog.Logger
	// Ready, if set, is called with the listening address (host:port) once
	// Serve accepts connections; useful with port 0.
	Ready func(addr string)
}

// NewHandler returns the embedded registry as an http.Handler: ggcr's
// registry, with the storage and API ServeOptions select.
func NewHandler(opts ServeOptions) (http.Handler, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	regOpts := []ggcrregistry.Option{
		ggcrregistry.Logger(slog.NewLogLogger(logger.Handler(), slog.LevelDebug)),
		ggcrregistry.WithReferrersSupport(opts.Referrers),
	}
	if opts.Dir == "" {
		return ggcrregistry.New(regOpts...), nil
	}
	blobs := filepath.Join(opts.Dir, "blobs")
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		return nil, fmt.Errorf("creating registry storage: %w", err)
	}
	regOpts = append(regOpts, ggcrregistry.WithBlobHandler(ggcrregistry.NewDiskBlobHandler(blobs)))
	j, err := openJournal(filepath.Join(opts.Dir, journalName), ggcrregistry.New(regOpts...), logger)
	if err != nil {
		return nil, err
	}
	return j, nil
}

// Serve runs the embedded registry until ctx is done, then shuts it down
// gracefully and returns nil.
func Serve(ctx context.Context, opts ServeOptions) error {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	h, err := NewHandler(opts)
	if err != nil {
		return err
	}
	addr := opts.Addr
	if addr == "" {
		addr = DefaultAddr
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", addr, err)
	}
	if !isLoopback(addr) {
		logger.WarnContext(ctx, "registry serves a non-loopback address without TLS or authentication",
			"addr", ln.Addr().String())
	}
	logger.InfoContext(ctx, "registry listening", "addr", ln.Addr().String(), "dir", opts.Dir)
	if opts.Ready != nil {
		opts.Ready(ln.Addr().String())
	}
	var fresh freshConns
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second, ConnState: fresh.track}
	srv.RegisterOnShutdown(fresh.close)
	return serveUntilDone(ctx, srv, ln)
}

// freshConns tracks connections that have not sent a request yet. Clients
// such as Go's http.Transport open spare connections they may never use;
// http.Server.Shutdown would wait 5 seconds for each before calling it idle.
// On shutdown they are closed at once instead.
type freshConns struct {
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func (f *freshConns) track(c net.Conn, state http.ConnState) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if state != http.StateNew {
		delete(f.conns, c)
		return
	}
	if f.conns == nil {
		f.conns = map[net.Conn]struct{}{}
	}
	f.conns[c] = struct{}{}
}

func (f *freshConns) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for c := range f.conns {
		_ = c.Close()
	}
}

func serveUntilDone(ctx context.Context, srv *http.Server, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving registry: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("stopping registry: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving registry: %w", err)
	}
	return nil
}

func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
