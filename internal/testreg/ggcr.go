package testreg

import (
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
)

// GGCR starts go-containerregistry's in-memory registry on 127.0.0.1, with
// the referrers API on or off, and returns its host:port.
func GGCR(t testing.TB, referrers bool) (host string) {
	t.Helper()
	return serve(t, ggcrHandler(referrers))
}

// GGCRCounted is GGCR with a Counter on every request.
func GGCRCounted(t testing.TB, referrers bool) (host string, c *Counter) {
	t.Helper()
	c = &Counter{}
	return serve(t, c.Wrap(ggcrHandler(referrers))), c
}

func ggcrHandler(referrers bool) http.Handler {
	return registry.New(
		registry.Logger(log.New(io.Discard, "", 0)),
		registry.WithReferrersSupport(referrers))
}

// serve serves h on a fresh 127.0.0.1 port until the test ends.
func serve(t testing.TB, h http.Handler) (host string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listening on 127.0.0.1: %v", err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}
