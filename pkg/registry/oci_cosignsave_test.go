package registry_test

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/random"

	"github.com/vouchsec/vouch/pkg/registry"
)

// cosignSaveLayout writes a layout as cosign save does: each image listed
// with kind dev.cosignproject.cosign/image, and one .sig and one .att
// manifest with kinds sigs and atts, all with no ref.name.
func cosignSaveLayout(t *testing.T, images int) (dir string, imgs []v1.Hash, sigs, atts v1.Hash) {
	t.Helper()
	dir = t.TempDir()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	kind := func(k string) layout.Option {
		return layout.WithAnnotations(map[string]string{"kind": "dev.cosignproject.cosign/" + k})
	}
	add := func(k string) v1.Hash {
		img, err := random.Image(64, 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.AppendImage(img, kind(k)); err != nil {
			t.Fatal(err)
		}
		h, _ := img.Digest()
		return h
	}
	for range images {
		imgs = append(imgs, add("image"))
	}
	return dir, imgs, add("sigs"), add("atts")
}

// TestLayoutCosignSave checks that a cosign save layout's signatures and
// attestations are served under the image's .sig and .att tags, and that
// a layout with two such images, where the manifests' image is not
// known, gives them no tags.
func TestLayoutCosignSave(t *testing.T) {
	dir, imgs, sigs, atts := cosignSaveLayout(t, 1)
	scope, _ := name.NewRepository("registry.example.com/app")
	l, err := registry.OpenLayout(dir, scope)
	if err != nil {
		t.Fatal(err)
	}
	base := imgs[0].Algorithm + "-" + imgs[0].Hex
	for tag, want := range map[string]v1.Hash{base + ".sig": sigs, base + ".att": atts} {
		d, err := l.Digest(registry.LayoutRef{Dir: dir, Tag: tag})
		if err != nil {
			t.Fatalf("tag %s: %v", tag, err)
		}
		if d.DigestStr() != want.String() {
			t.Errorf("tag %s names %s, want %s", tag, d.DigestStr(), want)
		}
	}

	dir, imgs, _, _ = cosignSaveLayout(t, 2)
	l, err = registry.OpenLayout(dir, scope)
	if err != nil {
		t.Fatal(err)
	}
	for _, img := range imgs {
		tag := img.Algorithm + "-" + img.Hex + ".sig"
		if d, err := l.Digest(registry.LayoutRef{Dir: dir, Tag: tag}); err == nil {
			t.Errorf("a layout of two images tags %s as %s", tag, d.DigestStr())
		}
	}
}
