package bundle

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzOpen opens arbitrary bytes as a tar bundle: it must refuse or
// open them without panicking, writing outside its directory or passing
// its limits, and a bundle it opens must name an image it lists.
func FuzzOpen(f *testing.F) {
	layout := []tarEntry{
		{name: "oci-layout", body: `{"imageLayoutVersion":"1.0.0"}`},
		{name: "index.json", body: `{"schemaVersion":2,"annotations":{"vouch.dev/bundle.version":"v1"},` +
			`"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":2,` +
			`"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",` +
			`"annotations":{"vouch.dev/bundle.kind":"image","vouch.dev/bundle.repository":"r.example/app",` +
			`"vouch.dev/bundle.layers":"false"}}]}`},
		blobEntry("{}"),
	}
	f.Add(makeTar(f, layout))
	f.Add(makeTar(f, append(layout, tarEntry{name: "../x", body: "x"})))
	f.Add(makeTar(f, append(layout, tarEntry{name: "blobs/sha256/" + strings.Repeat("a", 64),
		typ: '2', link: "/"})))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		file := filepath.Join(dir, "b.tar")
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		b, err := Open(file, OpenOptions{Limits: Limits{MaxSize: 1 << 20, MaxEntries: 100}})
		if err != nil {
			return
		}
		defer b.Close()
		found := false
		for _, e := range b.Entries() {
			found = found || (e.Kind == KindImage && e.Descriptor.Digest.String() == b.Image().DigestStr())
		}
		if !found {
			t.Errorf("opened a bundle whose image %s it does not list", b.Image())
		}
	})
}
