package registry_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vouchsec/vouch/internal/testreg"
	"github.com/vouchsec/vouch/pkg/registry"
)

func TestResolve(t *testing.T) {
	host, counter := testreg.GGCRCounted(t, false)
	digest := testreg.PushSample(t, host, "app", "1.0.0")

	tests := []struct {
		name string
		ref  string
		// wantServer is the requests the registry sees on a fresh client:
		// the /v2/ ping and the HEAD for a tag, nothing for a digest.
		wantServer int64
		// wantClient adds ggcr's HTTPS probe of the loopback host, which
		// fails before reaching the registry's handler.
		wantClient int64
		wantDesc   bool
	}{
		{"tag", host + "/app:1.0.0", 2, 3, true},
		{"digest", host + "/app@" + digest.String(), 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := registry.New()
			counter.Reset()
			d, desc, err := c.Resolve(t.Context(), tt.ref)
			if err != nil {
				t.Fatal(err)
			}
			if d.DigestStr() != digest.String() || d.Context().RepositoryStr() != "app" {
				t.Errorf("Resolve(%s) = %s, want app@%s", tt.ref, d, digest)
			}
			if (desc != nil) != tt.wantDesc {
				t.Errorf("descriptor = %v, want one: %v", desc, tt.wantDesc)
			}
			if desc != nil && (desc.Digest != digest || !desc.MediaType.IsIndex()) {
				t.Errorf("descriptor = %+v, want the sample index", desc)
			}
			if got := counter.Count(); got != tt.wantServer {
				t.Errorf("registry saw %d requests, want %d", got, tt.wantServer)
			}
			if got := c.Requests(); got != tt.wantClient {
				t.Errorf("client counted %d requests, want %d", got, tt.wantClient)
			}
		})
	}
}

func TestResolveReusesPing(t *testing.T) {
	host, counter := testreg.GGCRCounted(t, false)
	testreg.PushSample(t, host, "app", "1.0.0")
	c := registry.New()
	if _, _, err := c.Resolve(t.Context(), host+"/app:1.0.0"); err != nil {
		t.Fatal(err)
	}
	before, server := c.Requests(), counter.Count()
	for range 3 {
		if _, _, err := c.Resolve(t.Context(), host+"/app:1.0.0"); err != nil {
			t.Fatal(err)
		}
	}
	if got := c.Requests() - before; got != 3 {
		t.Errorf("3 more resolves took %d requests, want 3 (one HEAD each)", got)
	}
	if got := counter.Count() - server; got != 3 {
		t.Errorf("registry saw %d more requests, want 3", got)
	}
}

// TestResolveHeadWithoutDigest serves HEAD answers without
// Docker-Content-Digest: Resolve falls back to one GET.
func TestResolveHeadWithoutDigest(t *testing.T) {
	host := testreg.GGCR(t, false)
	digest := testreg.PushSample(t, host, "app", "1.0.0")
	var gets int
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/manifests/") {
			gets++
		}
		resp, err := http.DefaultTransport.RoundTrip(rewriteHost(r, host))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		if r.Method == http.MethodHead {
			w.Header().Del("Docker-Content-Digest")
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = copyBody(w, resp)
	}))
	t.Cleanup(proxy.Close)

	phost := strings.TrimPrefix(proxy.URL, "http://")
	d, _, err := registry.New().Resolve(t.Context(), phost+"/app:1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if d.DigestStr() != digest.String() {
		t.Errorf("Resolve = %s, want %s", d.DigestStr(), digest)
	}
	if gets != 1 {
		t.Errorf("made %d manifest GETs, want 1 fallback GET", gets)
	}
}

func TestResolveErrors(t *testing.T) {
	host := testreg.GGCR(t, false)
	testreg.PushSample(t, host, "app", "1.0.0")
	tests := []struct {
		name string
		ref  string
		want error
	}{
		{"missing tag", host + "/app:2.0.0", registry.ErrNotFound},
		{"missing repository", host + "/nope:1.0.0", registry.ErrNotFound},
		{"bad reference", host + "/App:1.0.0", registry.ErrInvalidReference},
		{"bad digest", host + "/app@sha256:abc", registry.ErrInvalidReference},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := registry.New().Resolve(t.Context(), tt.ref)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Resolve(%s) error = %v, want %v", tt.ref, err, tt.want)
			}
			if !strings.Contains(err.Error(), strings.TrimPrefix(tt.ref, host+"/")) {
				t.Errorf("error %q does not name the reference", err)
			}
		})
	}
}

func TestExists(t *testing.T) {
	host := testreg.GGCR(t, false)
	digest := testreg.PushSample(t, host, "app", "1.0.0")
	other := "sha256:" + strings.Repeat("0", 64)
	tests := []struct {
		ref  string
		want bool
	}{
		{host + "/app@" + digest.String(), true},
		{host + "/app@" + other, false},
		{host + "/other@" + digest.String(), false},
	}
	c := registry.New()
	for _, tt := range tests {
		got, err := c.Exists(t.Context(), mustDigest(t, tt.ref))
		if err != nil {
			t.Fatalf("Exists(%s): %v", tt.ref, err)
		}
		if got != tt.want {
			t.Errorf("Exists(%s) = %v, want %v", tt.ref, got, tt.want)
		}
	}
}
