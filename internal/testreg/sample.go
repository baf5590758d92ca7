package testreg

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// SampleLayout returns the absolute path of the sample OCI image layout,
// testdata/image at the module root.
func SampleLayout(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "testdata", "image")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory: cannot find testdata/image")
		}
		dir = parent
	}
}

// SampleIndex returns the sample image index from the layout.
func SampleIndex(t testing.TB) v1.ImageIndex {
	t.Helper()
	p, err := layout.FromPath(SampleLayout(t))
	if err != nil {
		t.Fatalf("reading sample layout: %v", err)
	}
	top, err := p.ImageIndex()
	if err != nil {
		t.Fatalf("reading sample layout: %v", err)
	}
	im, err := top.IndexManifest()
	if err != nil {
		t.Fatalf("reading sample layout index.json: %v", err)
	}
	if len(im.Manifests) == 0 {
		t.Fatal("sample layout index.json lists no manifests")
	}
	idx, err := top.ImageIndex(im.Manifests[0].Digest)
	if err != nil {
		t.Fatalf("reading sample index: %v", err)
	}
	return idx
}

// PushSample pushes the sample image index to host/repo:tag and returns its
// digest.
func PushSample(t testing.TB, host, repo, tag string) v1.Hash {
	t.Helper()
	idx := SampleIndex(t)
	ref, err := name.NewTag(host + "/" + repo + ":" + tag)
	if err != nil {
		t.Fatalf("sample destination: %v", err)
	}
	if err := remote.WriteIndex(ref, idx, remote.WithContext(t.Context())); err != nil {
		t.Fatalf("pushing sample to %s: %v", ref, err)
	}
	h, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return h
}
