package registry_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/vouchsec/vouch/internal/testreg"
	"github.com/vouchsec/vouch/pkg/registry"
)

func TestParseReference(t *testing.T) {
	c := registry.New(registry.WithInsecure("registry.internal:5000"))
	tests := []struct {
		ref, scheme string
	}{
		{"registry.internal:5000/app:1.0.0", "http"},
		{"registry.internal:5000/app@" + someDigest, "http"},
		{"registry.internal/app:1.0.0", "https"},
		{"registry.example:5000/app:1.0.0", "https"},
		{"127.0.0.1:5000/app:1.0.0", "http"},
	}
	for _, tt := range tests {
		r, err := c.ParseReference(tt.ref)
		if err != nil {
			t.Fatalf("ParseReference(%s): %v", tt.ref, err)
		}
		if got := r.Context().Scheme(); got != tt.scheme {
			t.Errorf("ParseReference(%s) scheme = %s, want %s", tt.ref, got, tt.scheme)
		}
	}
	if _, err := c.ParseReference("Bad/Ref"); !errors.Is(err, registry.ErrInvalidReference) {
		t.Errorf("ParseReference(Bad/Ref) error = %v, want ErrInvalidReference", err)
	}
}

// rerouter sends every connection to one loopback address and records the
// URL schemes asked for, so a made-up registry name can be tested.
type rerouter struct {
	mu      sync.Mutex
	schemes map[string]int
	base    *http.Transport
}

func newRerouter(addr string) *rerouter {
	r := &rerouter{schemes: map[string]int{}}
	var d net.Dialer
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}
	r.base = &http.Transport{DialContext: dial}
	return r
}

func (r *rerouter) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.schemes[req.URL.Scheme]++
	r.mu.Unlock()
	return r.base.RoundTrip(req)
}

// TestWithInsecure reaches a plain-HTTP registry under a non-loopback name
// only when that name was given to WithInsecure, also for names parsed
// without the Client.
func TestWithInsecure(t *testing.T) {
	addr := testreg.GGCR(t, false)
	digest := testreg.PushSample(t, addr, "app", "1.0.0")
	const host = "registry.internal:5000"
	d, err := name.NewDigest(host + "/app@" + digest.String())
	if err != nil {
		t.Fatal(err)
	}

	rt := newRerouter(addr)
	c := registry.New(registry.WithTransport(rt), registry.WithInsecure(host))
	if ok, err := c.Exists(t.Context(), d); err != nil || !ok {
		t.Fatalf("Exists with WithInsecure = %v, %v; want true", ok, err)
	}
	if rt.schemes["http"] == 0 {
		t.Errorf("no plain HTTP request made: %v", rt.schemes)
	}

	rt = newRerouter(addr)
	c = registry.New(registry.WithTransport(rt))
	if _, err := c.Exists(t.Context(), d); !errors.Is(err, registry.ErrNetwork) {
		t.Fatalf("Exists without WithInsecure: %v, want ErrNetwork (TLS fails)", err)
	}
	if rt.schemes["http"] != 0 {
		t.Errorf("plain HTTP used without WithInsecure: %v", rt.schemes)
	}
}
