package registry_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/vouchsec/vouch/internal/testreg"
	"github.com/vouchsec/vouch/pkg/registry"
)

// TestManifestAndBlob reads an image's manifest and config by digest, one
// request each, and refuses a blob over the size given.
func TestManifestAndBlob(t *testing.T) {
	host, counter := testreg.DistributionCounted(t)
	d := testreg.PushSample(t, host, "app", "1")
	c := registry.New()
	ref, err := name.NewDigest(host + "/app@" + d.String())
	if err != nil {
		t.Fatal(err)
	}
	counter.Reset()
	raw, mt, err := c.Manifest(t.Context(), ref)
	if err != nil || mt != types.OCIImageIndex || !bytes.Contains(raw, []byte(`"manifests"`)) {
		t.Fatalf("Manifest = %.40q, %s, %v", raw, mt, err)
	}
	if n := counter.Count(); n > 2 {
		t.Errorf("Manifest sent %d requests, want the ping and one GET", n)
	}

	config := static.NewLayer([]byte(`{"architecture":"amd64","os":"linux"}`), types.OCIConfigJSON)
	repo := ref.Context()
	if err := remote.WriteLayer(repo, config); err != nil {
		t.Fatal(err)
	}
	h, _ := config.Digest()
	blob, err := c.Blob(t.Context(), repo.Digest(h.String()), 1<<10)
	if err != nil || !strings.Contains(string(blob), "amd64") {
		t.Fatalf("Blob = %q, %v", blob, err)
	}
	if _, err := c.Blob(t.Context(), repo.Digest(h.String()), 8); err == nil ||
		!strings.Contains(err.Error(), "more than 8 bytes") {
		t.Errorf("Blob over the limit: %v", err)
	}
	_, err = c.Blob(t.Context(), repo.Digest(someDigest), 1<<10)
	if !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("Blob of a missing digest: %v, want ErrNotFound", err)
	}
}
