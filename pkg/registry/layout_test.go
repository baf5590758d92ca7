package registry_test

import (
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/vouchsec/vouch/internal/testreg"
	"github.com/vouchsec/vouch/pkg/registry"
)

func TestPushLayout(t *testing.T) {
	host, counter := testreg.GGCRCounted(t, false)
	c := registry.New()
	tag := mustTag(t, host+"/demo:1.0.0")
	digest, err := registry.PushLayout(t.Context(), c, testreg.SampleLayout(t), tag)
	if err != nil {
		t.Fatal(err)
	}
	d, _, err := c.Resolve(t.Context(), tag.String())
	if err != nil || d.DigestStr() != digest.String() {
		t.Fatalf("pushed tag resolves to %v (%v), want %s", d, err, digest)
	}
	validateRemoteIndex(t, d)

	counter.Reset()
	if _, err := registry.PushLayout(t.Context(), c, testreg.SampleLayout(t), tag); err != nil {
		t.Fatal(err)
	}
	if n := counter.Writes(); n != 0 {
		t.Errorf("pushing the same layout again made %d writes, want 0", n)
	}
}

func TestPushLayoutErrors(t *testing.T) {
	emptyDir := t.TempDir()
	if _, err := layout.Write(emptyDir, empty.Index); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, dir, want string
	}{
		{"no layout", t.TempDir(), "reading layout"},
		{"no manifests", emptyDir, "lists no manifests"},
	}
	c := registry.New()
	tag := mustTag(t, "127.0.0.1:1/demo:1.0.0")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := registry.PushLayout(t.Context(), c, tt.dir, tag)
			if err == nil || !strings.Contains(err.Error(), tt.want) ||
				!strings.Contains(err.Error(), tt.dir) {
				t.Fatalf("PushLayout(%s) = %v, want an error naming the dir and %q", tt.dir, err, tt.want)
			}
		})
	}
}
