package registry_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vouchsec/vouch/internal/testreg"
	"github.com/vouchsec/vouch/pkg/registry"
)

// startServe runs Serve in the background and returns its address and a
// function that stops it and returns Serve's error.
func startServe(t *testing.T, opts registry.ServeOptions) (addr string, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	ready := make(chan string, 1)
	errc := make(chan error, 1)
	opts.Ready = func(a string) { ready <- a }
	go func() { errc <- registry.Serve(ctx, opts) }()
	select {
	case addr = <-ready:
	case err := <-errc:
		cancel()
		t.Fatalf("Serve: %v", err)
	}
	var once bool
	stop = func() error {
		if once {
			return nil
		}
		once = true
		cancel()
		return <-errc
	}
	t.Cleanup(func() { _ = stop() })
	return addr, stop
}

func TestServe(t *testing.T) {
	dir := t.TempDir()
	want, err := testreg.SampleIndex(t).Digest()
	if err != nil {
		t.Fatal(err)
	}
	addr, stop := startServe(t, registry.ServeOptions{Addr: "127.0.0.1:0", Dir: dir, Referrers: true})
	if host, _, _ := net.SplitHostPort(addr); host != "127.0.0.1" {
		t.Fatalf("Serve listens on %s, want 127.0.0.1", addr)
	}
	c := registry.New()
	tag := mustTag(t, addr+"/sample:1.0.0")
	got, err := registry.PushLayout(t.Context(), c, testreg.SampleLayout(t), tag)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("PushLayout = %s, want the sample index %s", got, want)
	}
	validateRemoteIndex(t, tag)
	blobs, err := os.ReadDir(filepath.Join(dir, "blobs", "sha256"))
	if err != nil || len(blobs) != sampleBlobs {
		t.Errorf("blob store has %d files (%v), want %d", len(blobs), err, sampleBlobs)
	}
	resp, err := http.Get("http://" + addr + "/v2/sample/referrers/" + want.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("referrers API answered %d, want 200", resp.StatusCode)
	}
	if err := stop(); err != nil {
		t.Fatalf("Serve returned %v after ctx was done, want nil", err)
	}

	// The same directory serves the same content after a restart.
	addr, _ = startServe(t, registry.ServeOptions{Addr: "127.0.0.1:0", Dir: dir})
	d, _, err := c.Resolve(t.Context(), addr+"/sample:1.0.0")
	if err != nil {
		t.Fatalf("after restart: %v", err)
	}
	if d.DigestStr() != want.String() {
		t.Errorf("after restart the tag points at %s, want %s", d.DigestStr(), want)
	}
	validateRemoteIndex(t, d)
}

func TestServeAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = registry.Serve(t.Context(), registry.ServeOptions{Addr: ln.Addr().String()})
	if err == nil || !strings.Contains(err.Error(), ln.Addr().String()) {
		t.Fatalf("Serve on a busy address: %v, want an error naming it", err)
	}
}

func TestNewHandlerBadJournal(t *testing.T) {
	tests := []struct {
		name, journal, want string
	}{
		{"not json", "{not json\n", "entry 1"},
		{"not a manifest write", `{"method":"GET","path":"/v2/"}` + "\n", "entry 1"},
		{"index before its children", indexWithMissingChild(t), "status 404"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "manifests.jsonl")
			if err := os.WriteFile(path, []byte(tt.journal), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := registry.NewHandler(registry.ServeOptions{Dir: dir})
			if err == nil || !strings.Contains(err.Error(), path) ||
				!strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewHandler = %v, want an error naming %s and %q", err, path, tt.want)
			}
		})
	}
}

// indexWithMissingChild is a journal line that PUTs an OCI index listing a
// manifest the registry does not have.
func indexWithMissingChild(t *testing.T) string {
	t.Helper()
	index := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",` +
		`"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":1,` +
		`"digest":"sha256:` + strings.Repeat("0", 64) + `"}]}`
	line, err := json.Marshal(map[string]any{
		"method":      "PUT",
		"path":        "/v2/a/manifests/x",
		"contentType": "application/vnd.oci.image.index.v1+json",
		"body":        []byte(index),
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(line) + "\n"
}
