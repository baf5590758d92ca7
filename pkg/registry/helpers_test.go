package registry_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

const emptyConfigType = "application/vnd.oci.empty.v1+json"

// someDigest is a well-formed digest, for references whose content does not
// matter.
const someDigest = "sha256:7345ac28d48c752fc6410e0ed767f169f49ed453b708eca563dce07d58152e93"

// rawManifest is a manifest pushed as its exact bytes.
type rawManifest struct {
	raw       []byte
	mediaType types.MediaType
}

func (r rawManifest) RawManifest() ([]byte, error)        { return r.raw, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return r.mediaType, nil }

// pushReferrer pushes an OCI 1.1 artifact about subject to repo: one layer
// holding payload, a config of configType (the empty config when
// configType is empty) and, when artifactType is set, that artifactType.
// ggcr maintains the tag-schema index when the registry has no referrers API.
func pushReferrer(t *testing.T, repo name.Repository, subject v1.Descriptor,
	artifactType, configType string, payload []byte) v1.Hash {
	t.Helper()
	config := static.NewLayer([]byte("{}"), emptyConfigType)
	if configType != "" {
		config = static.NewLayer([]byte(`{"kind":"test"}`), types.MediaType(configType))
	}
	layer := static.NewLayer(payload, "application/vnd.example.payload")
	for _, l := range []v1.Layer{config, layer} {
		if err := remote.WriteLayer(repo, l); err != nil {
			t.Fatalf("pushing referrer blob: %v", err)
		}
	}
	m := map[string]any{
		"schemaVersion": 2,
		"mediaType":     types.OCIManifestSchema1,
		"config":        descriptorOf(t, config),
		"layers":        []v1.Descriptor{descriptorOf(t, layer)},
		"subject":       subject,
	}
	if artifactType != "" {
		m["artifactType"] = artifactType
	}
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	h, _, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	err = remote.Put(repo.Digest(h.String()), rawManifest{raw, types.OCIManifestSchema1})
	if err != nil {
		t.Fatalf("pushing referrer manifest: %v", err)
	}
	return h
}

func descriptorOf(t *testing.T, l v1.Layer) v1.Descriptor {
	t.Helper()
	d, err := l.Digest()
	if err != nil {
		t.Fatal(err)
	}
	size, _ := l.Size()
	mt, _ := l.MediaType()
	return v1.Descriptor{MediaType: mt, Size: size, Digest: d}
}

// pushSmallImage pushes a one-layer image holding payload to ref, as
// cosign does for a .sig or .att tag, and returns its digest.
func pushSmallImage(t *testing.T, ref name.Tag, payload string) v1.Hash {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image,
		static.NewLayer([]byte(payload), "application/vnd.example.payload"))
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
	h, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// validateRemoteIndex reads the index ref names with every manifest and
// blob below it, checking every digest and size.
func validateRemoteIndex(t *testing.T, ref name.Reference) {
	t.Helper()
	idx, err := remote.Index(ref)
	if err != nil {
		t.Fatalf("reading %s: %v", ref, err)
	}
	if err := validate.Index(idx); err != nil {
		t.Fatalf("%s is incomplete or corrupt: %v", ref, err)
	}
}

func mustTag(t *testing.T, s string) name.Tag {
	t.Helper()
	tag, err := name.NewTag(s)
	if err != nil {
		t.Fatal(err)
	}
	return tag
}

func mustDigest(t *testing.T, s string) name.Digest {
	t.Helper()
	d, err := name.NewDigest(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func mustRepo(t *testing.T, s string) name.Repository {
	t.Helper()
	r, err := name.NewRepository(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustHash(t *testing.T, s string) v1.Hash {
	t.Helper()
	h, err := v1.NewHash(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}
