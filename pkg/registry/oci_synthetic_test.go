package registry_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

const sbomArtifactType = "application/vnd.example.sbom"

// synthetic is a layout built for a test: an image tagged v1 with a
// 100 KiB layer, an image whose ref.name is not a tag, a two-image index
// tagged multi, and a referrer of the first image typed by artifactType
// over the empty config.
type synthetic struct {
	dir                    string
	image, untagged, index v1.Hash
	referrer, bigLayer     v1.Hash
}

func newSynthetic(t *testing.T) synthetic {
	t.Helper()
	s := synthetic{dir: t.TempDir()}
	p, err := layout.Write(s.dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	img, err := random.Image(100<<10, 1)
	if err != nil {
		t.Fatal(err)
	}
	s.image = appendImage(t, p, img, "v1")
	layers, _ := img.Layers()
	s.bigLayer, _ = layers[0].Digest()
	other, _ := random.Image(64, 1)
	s.untagged = appendImage(t, p, other, "registry.example.com/x:1")
	idx, _ := random.Index(64, 1, 2)
	if err := p.AppendIndex(idx, layout.WithAnnotations(refName("multi"))); err != nil {
		t.Fatal(err)
	}
	s.index, _ = idx.Digest()
	s.referrer = appendReferrer(t, p, img)
	return s
}

func refName(s string) map[string]string {
	return map[string]string{ocispec.AnnotationRefName: s}
}

func appendImage(t *testing.T, p layout.Path, img v1.Image, ref string) v1.Hash {
	t.Helper()
	if err := p.AppendImage(img, layout.WithAnnotations(refName(ref))); err != nil {
		t.Fatal(err)
	}
	h, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// appendReferrer writes an artifact whose subject is img and lists it in
// index.json, as notation and oras do.
func appendReferrer(t *testing.T, p layout.Path, img v1.Image) v1.Hash {
	t.Helper()
	cfg := writeBlob(t, p, []byte("{}"))
	payload := writeBlob(t, p, []byte(`{"packages":[]}`))
	subject := imageDescriptor(t, img)
	raw, err := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     types.OCIManifestSchema1,
		"artifactType":  sbomArtifactType,
		"config":        v1.Descriptor{MediaType: emptyConfigType, Digest: cfg, Size: 2},
		"layers":        []v1.Descriptor{{MediaType: "application/json", Digest: payload, Size: 15}},
		"subject":       subject,
		"annotations":   map[string]string{"org.example.kind": "sbom"},
	})
	if err != nil {
		t.Fatal(err)
	}
	h := writeBlob(t, p, raw)
	desc := v1.Descriptor{MediaType: types.OCIManifestSchema1, Digest: h, Size: int64(len(raw))}
	if err := p.AppendDescriptor(desc); err != nil {
		t.Fatal(err)
	}
	return h
}

func writeBlob(t *testing.T, p layout.Path, b []byte) v1.Hash {
	t.Helper()
	h, _, err := v1.SHA256(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.WriteBlob(h, io.NopCloser(bytes.NewReader(b))); err != nil {
		t.Fatal(err)
	}
	return h
}

func imageDescriptor(t *testing.T, img v1.Image) v1.Descriptor {
	t.Helper()
	h, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	size, _ := img.Size()
	mt, _ := img.MediaType()
	return v1.Descriptor{MediaType: mt, Digest: h, Size: size}
}

func TestLayoutSynthetic(t *testing.T) {
	s := newSynthetic(t)
	scope := scopes[1]
	l := openLayout(t, s.dir, scope)
	opts := layoutOptions(t, l)

	tags, err := remote.List(mustRepo(t, scope), opts...)
	if err != nil || strings.Join(tags, ",") != "multi,v1" {
		t.Errorf("tags = %v, %v; want multi and v1 only (a ref.name that is no tag is skipped)",
			tags, err)
	}
	if _, err := remote.Head(mustDigest(t, scope+"@"+s.untagged.String()), opts...); err != nil {
		t.Errorf("image with a non-tag ref.name is not served by digest: %v", err)
	}
	// Every manifest and blob of the nested index, each one verified.
	idx, err := remote.Index(mustTag(t, scope+":multi"), opts...)
	if err != nil {
		t.Fatalf("reading %s:multi: %v", scope, err)
	}
	if err := validate.Index(idx); err != nil {
		t.Errorf("index from the layout does not validate: %v", err)
	}
	img, err := remote.Image(mustTag(t, scope+":v1"), opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Image(img); err != nil {
		t.Errorf("image with a 100 KiB layer does not validate: %v", err)
	}
}

// TestLayoutReferrersArtifactType: the artifact type of a referrer is its
// manifest's artifactType, not its config's media type, and the
// artifactType filter is applied by the layout.
func TestLayoutReferrersArtifactType(t *testing.T) {
	s := newSynthetic(t)
	l := openLayout(t, s.dir, scopes[0])
	tests := []struct {
		filter string
		want   int
	}{
		{"", 1},
		{sbomArtifactType, 1},
		{emptyConfigType, 0},
	}
	for _, tt := range tests {
		path := "/v2/e2e/referrers/" + s.image.String()
		if tt.filter != "" {
			path += "?artifactType=" + tt.filter
		}
		resp := layoutGet(t, l, http.MethodGet, "http", path)
		var im v1.IndexManifest
		if err := json.NewDecoder(resp.Body).Decode(&im); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		if len(im.Manifests) != tt.want {
			t.Fatalf("GET %s = %+v, want %d referrers", path, im.Manifests, tt.want)
		}
		if tt.want == 0 {
			continue
		}
		got := im.Manifests[0]
		if got.Digest != s.referrer || got.ArtifactType != sbomArtifactType ||
			got.Annotations["org.example.kind"] != "sbom" {
			t.Errorf("GET %s = %+v, want %s of type %s with its annotations",
				path, got, s.referrer, sbomArtifactType)
		}
	}
}
