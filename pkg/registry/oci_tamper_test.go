package registry_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/vouchsec/vouch/pkg/registry"
	"oras.land/oras-go/v2/content"
	orasremote "oras.land/oras-go/v2/registry/remote"
)

func blobFile(dir, digest string) string {
	return filepath.Join(dir, "blobs", "sha256", strings.TrimPrefix(digest, "sha256:"))
}

// flipByte changes the byte at offset in file.
func flipByte(t *testing.T, file string, offset int) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	b[offset] ^= 0x01
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// readBlob reads a blob through the layout's transport as a plain HTTP
// client would and returns what it got before the read ended.
func readBlob(t *testing.T, l *registry.Layout, repo string, h string) (int, []byte, error) {
	t.Helper()
	resp := layoutGet(t, l, http.MethodGet, "https", "/v2/"+repo+"/blobs/"+h)
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func TestLayoutTamperedBlob(t *testing.T) {
	dir := copyLayout(t, corpusLayout(t, "e2e-valid-signature"))
	flipByte(t, blobFile(dir, e2eLayer), 3)
	l := openLayout(t, dir, scopes[0])

	status, got, err := readBlob(t, l, "e2e", e2eLayer)
	if err == nil || !strings.Contains(err.Error(), "does not match its digest") {
		t.Errorf("reading a tampered blob: status %d, %q, %v; want a digest mismatch", status, got, err)
	}
	if len(got) >= 17 {
		t.Errorf("reading a tampered blob handed out all %d bytes", len(got))
	}

	layer, err := remote.Layer(mustDigest(t, scopes[0]+"@"+e2eLayer), layoutOptions(t, l)...)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := layer.Compressed()
	if err == nil {
		_, err = io.ReadAll(rc)
		_ = rc.Close()
	}
	if err == nil {
		t.Error("ggcr read a tampered blob without an error")
	}

	repo, err := orasremote.NewRepository(scopes[0])
	if err != nil {
		t.Fatal(err)
	}
	repo.Client = &http.Client{Transport: l.Transport(&noNetwork{t: t})}
	desc := ocispec.Descriptor{
		MediaType: ocispec.MediaTypeImageLayer, Digest: digest.Digest(e2eLayer), Size: 17,
	}
	if rc, err := repo.Fetch(t.Context(), desc); err == nil {
		_, err = content.ReadAll(rc, desc)
		_ = rc.Close()
		if err == nil {
			t.Error("oras read a tampered blob without an error")
		}
	}
}

// TestLayoutTamperedBigBlob: a blob read in many pieces fails before its
// last piece, also when the change is in its first.
func TestLayoutTamperedBigBlob(t *testing.T) {
	s := newSynthetic(t)
	file := blobFile(s.dir, s.bigLayer.String())
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	flipByte(t, file, 0)
	l := openLayout(t, s.dir, scopes[0])
	_, got, err := readBlob(t, l, "e2e", s.bigLayer.String())
	if err == nil || int64(len(got)) >= fi.Size() {
		t.Errorf("read %d of %d bytes of a tampered blob, error %v; want fewer and an error",
			len(got), fi.Size(), err)
	}
}

func TestLayoutTruncatedBlob(t *testing.T) {
	dir := copyLayout(t, corpusLayout(t, "e2e-valid-signature"))
	if err := os.WriteFile(blobFile(dir, e2eLayer), []byte("awesome"), 0o644); err != nil {
		t.Fatal(err)
	}
	l := openLayout(t, dir, scopes[0])
	if _, got, err := readBlob(t, l, "e2e", e2eLayer); err == nil {
		t.Errorf("reading a truncated blob = %q, want an error", got)
	}
}

func TestLayoutTamperedManifest(t *testing.T) {
	dir := copyLayout(t, corpusLayout(t, "e2e-valid-signature"))
	flipByte(t, blobFile(dir, e2eSig), 100)
	_, err := registry.OpenLayout(dir, mustRepo(t, scopes[0]))
	if err == nil || !strings.Contains(err.Error(), e2eSig) ||
		!strings.Contains(err.Error(), "does not match") {
		t.Fatalf("OpenLayout with a tampered manifest = %v, want an error naming %s", err, e2eSig)
	}
}

func TestLayoutRefusesLinks(t *testing.T) {
	src := corpusLayout(t, "e2e-valid-signature")
	outside := t.TempDir()
	// link replaces file by a symbolic link to a copy of it outside the
	// layout: the content still matches the digest.
	link := func(t *testing.T, file string) {
		t.Helper()
		target := filepath.Join(outside, filepath.Base(file))
		if err := os.Rename(file, target); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, file); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("blob", func(t *testing.T) {
		dir := copyLayout(t, src)
		link(t, blobFile(dir, e2eLayer))
		l := openLayout(t, dir, scopes[0])
		if status, got, err := readBlob(t, l, "e2e", e2eLayer); status != http.StatusNotFound {
			t.Errorf("reading a blob linked out of the layout = %d %q %v, want 404", status, got, err)
		}
	})
	t.Run("blob linked within", func(t *testing.T) {
		dir := copyLayout(t, src)
		file := blobFile(dir, e2eLayer)
		if err := os.Rename(file, filepath.Join(dir, "copy")); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join("..", "..", "copy"), file); err != nil {
			t.Fatal(err)
		}
		l := openLayout(t, dir, scopes[0])
		if status, got, err := readBlob(t, l, "e2e", e2eLayer); status != http.StatusNotFound {
			t.Errorf("reading a blob linked within the layout = %d %q %v, want 404", status, got, err)
		}
	})
	t.Run("blob directory", func(t *testing.T) {
		dir := copyLayout(t, src)
		file := blobFile(dir, e2eLayer)
		if err := os.Remove(file); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(file, 0o755); err != nil {
			t.Fatal(err)
		}
		l := openLayout(t, dir, scopes[0])
		if status, _, _ := readBlob(t, l, "e2e", e2eLayer); status != http.StatusNotFound {
			t.Errorf("reading a blob that is a directory = %d, want 404", status)
		}
	})
	tests := []struct {
		name, file, want string
	}{
		{"manifest", blobFile("", e2eSig), "symbolic link"},
		{"index.json", "index.json", "symbolic link"},
		{"blobs/sha256", filepath.Join("blobs", "sha256"), "escapes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyLayout(t, src)
			link(t, filepath.Join(dir, tt.file))
			_, err := registry.OpenLayout(dir, mustRepo(t, scopes[0]))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("OpenLayout with %s a symlink = %v, want an error saying %q", tt.file, err, tt.want)
			}
		})
	}
}

func TestLayoutReadOnly(t *testing.T) {
	l := openLayout(t, corpusLayout(t, "e2e-valid-signature"), scopes[0])
	tests := []struct{ method, path string }{
		{http.MethodPut, "/v2/e2e/manifests/v2"},
		{http.MethodDelete, "/v2/e2e/manifests/v1"},
		{http.MethodDelete, "/v2/e2e/manifests/" + e2eImage},
		{http.MethodPost, "/v2/e2e/blobs/uploads/"},
		{http.MethodPatch, "/v2/e2e/blobs/uploads/1"},
		{http.MethodPut, "/v2/e2e/blobs/uploads/1?digest=" + e2eLayer},
		{http.MethodDelete, "/v2/e2e/blobs/" + e2eLayer},
	}
	for _, tt := range tests {
		resp := layoutGet(t, l, tt.method, "http", tt.path)
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s %s = %d (Allow %q), want 405",
				tt.method, tt.path, resp.StatusCode, resp.Header.Get("Allow"))
		}
	}

	opts := layoutOptions(t, l)
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(mustTag(t, scopes[0]+":new"), img, opts...); err == nil {
		t.Error("writing an image to the layout succeeded")
	}
	if err := remote.Delete(mustTag(t, scopes[0]+":v1"), opts...); err == nil {
		t.Error("deleting a tag of the layout succeeded")
	}
	if _, err := remote.Head(mustTag(t, scopes[0]+":v1"), opts...); err != nil {
		t.Errorf("tag v1 is gone after a refused delete: %v", err)
	}
}

// editIndex rewrites dir's index.json with edit applied.
func editIndex(t *testing.T, dir string, edit func(*v1.IndexManifest)) {
	t.Helper()
	file := filepath.Join(dir, "index.json")
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var im v1.IndexManifest
	if err := json.Unmarshal(b, &im); err != nil {
		t.Fatal(err)
	}
	edit(&im)
	if b, err = json.Marshal(im); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestOpenLayoutErrors(t *testing.T) {
	src := corpusLayout(t, "e2e-valid-signature")
	write := func(name, content string) func(*testing.T, string) {
		return func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	remove := func(name string) func(*testing.T, string) {
		return func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	index := func(edit func(*v1.IndexManifest)) func(*testing.T, string) {
		return func(t *testing.T, dir string) { editIndex(t, dir, edit) }
	}
	tests := []struct {
		name   string
		damage func(*testing.T, string)
		want   string
	}{
		{"no oci-layout", remove("oci-layout"), "not an OCI image layout"},
		{"layout version", write("oci-layout", `{"imageLayoutVersion":"2.0.0"}`), `"2.0.0"`},
		{"no index.json", remove("index.json"), "index.json"},
		{"index.json not JSON", write("index.json", "{"), "index.json"},
		{"index.json too large", func(t *testing.T, dir string) {
			if err := os.Truncate(filepath.Join(dir, "index.json"), 4<<20+1); err != nil {
				t.Fatal(err)
			}
		}, "limit"},
		{"schema version", index(func(im *v1.IndexManifest) { im.SchemaVersion = 1 }), "schemaVersion"},
		{"traversal digest", write("index.json", `{"schemaVersion":2,"manifests":[`+
			`{"mediaType":"application/vnd.oci.image.manifest.v1+json",`+
			`"digest":"sha256:../../../etc/passwd","size":1}]}`), "index.json"},
		{"missing manifest", remove(blobFile("", e2eSig)), e2eSig},
		{"wrong size", index(func(im *v1.IndexManifest) { im.Manifests[0].Size++ }), "size 518"},
		{"wrong media type", index(func(im *v1.IndexManifest) {
			im.Manifests[2].MediaType = ocispec.MediaTypeImageManifest
		}), "listed as"},
		{"tag on two manifests", index(func(im *v1.IndexManifest) {
			im.Manifests[1].Annotations = map[string]string{ocispec.AnnotationRefName: "v1"}
		}), `tag "v1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyLayout(t, src)
			tt.damage(t, dir)
			_, err := registry.OpenLayout(dir, mustRepo(t, scopes[0]))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), dir) {
				t.Fatalf("OpenLayout = %v, want an error naming %s and saying %q", err, dir, tt.want)
			}
		})
	}
	missing := filepath.Join(t.TempDir(), "none")
	if _, err := registry.OpenLayout(missing, mustRepo(t, scopes[0])); err == nil {
		t.Error("OpenLayout of a missing directory succeeded")
	}
}

// TestLayoutIncompleteIndex: an index whose manifests the layout lacks is
// refused, naming the one missing.
func TestLayoutIncompleteIndex(t *testing.T) {
	s := newSynthetic(t)
	im := readIndexManifest(t, s.dir, s.index)
	child := im.Manifests[1].Digest.String()
	if err := os.Remove(blobFile(s.dir, child)); err != nil {
		t.Fatal(err)
	}
	_, err := registry.OpenLayout(s.dir, mustRepo(t, scopes[0]))
	if err == nil || !strings.Contains(err.Error(), child) ||
		!strings.Contains(err.Error(), s.index.String()) {
		t.Fatalf("OpenLayout with a missing index child = %v, want an error naming %s in %s",
			err, child, s.index)
	}
}

func readIndexManifest(t *testing.T, dir string, h v1.Hash) *v1.IndexManifest {
	t.Helper()
	f, err := os.Open(blobFile(dir, h.String()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	im, err := v1.ParseIndexManifest(f)
	if err != nil {
		t.Fatal(err)
	}
	return im
}
