package registry_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/vouchsec/vouch/pkg/registry"
)

// corpusLayouts holds OCI image layouts from notation's end-to-end tests.
const corpusLayouts = "../../../shared/corpus/notation/oci-layouts"

// What e2e-valid-signature holds: an image tagged v1, a notation
// signature of it (a manifest with a subject) and the referrers tag-schema
// index listing that signature.
const (
	e2eImage    = "sha256:b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9"
	e2eSig      = "sha256:90ceaff260d657d797c408ac73564a9c7bb9d86055877c2a811f0e63b8c6524f"
	e2eTagIndex = "sha256:13e107e0dd246f07ff18998a3d39e226965c41477a1bc1765f7617632ff3f283"
	e2eLayer    = "sha256:6de5fe1f75e4b1094c98086f403d5fd8117776ebe5aad1609281403d13dea070"
	e2eEnvelope = "sha256:c9af07e038b2b1a463e648986ad7273157511ffeba0b689f33e5472bae471f50"
	notaryType  = "application/vnd.cncf.notary.signature"
	// e2eTagSchema is the referrers tag-schema tag of e2eImage.
	e2eTagSchema = "sha256-b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9"
)

// scopes are the names layouts are served as in these tests: a loopback
// host, which ggcr talks plain HTTP to, and one it talks HTTPS to.
var scopes = []string{"localhost:5000/e2e", "registry.example.com/team/app"}

// corpusLayout returns the directory of a corpus layout, skipping the test
// when the corpus is not there.
func corpusLayout(t *testing.T, layout string) string {
	t.Helper()
	dir := filepath.Join(corpusLayouts, layout)
	if _, err := os.Stat(filepath.Join(dir, "index.json")); err != nil {
		t.Skipf("notation corpus layout not available (%v): "+
			"it lives in the shared corpus beside the repository", err)
	}
	return dir
}

// copyLayout copies the layout in src to a new directory, to be tampered
// with.
func copyLayout(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "layout")
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatalf("copying layout: %v", err)
	}
	return dst
}

func openLayout(t *testing.T, dir, scope string) *registry.Layout {
	t.Helper()
	l, err := registry.OpenLayout(dir, mustRepo(t, scope))
	if err != nil {
		t.Fatalf("OpenLayout(%s): %v", dir, err)
	}
	return l
}

// noNetwork is a transport that fails the test when a request reaches it.
type noNetwork struct {
	t *testing.T
	n atomic.Int64
}

func (nn *noNetwork) RoundTrip(req *http.Request) (*http.Response, error) {
	nn.n.Add(1)
	nn.t.Errorf("request %s %s left the process", req.Method, req.URL)
	return nil, errors.New("no network in this test")
}

// layoutOptions are ggcr options that reach l and nothing else.
func layoutOptions(t *testing.T, l *registry.Layout) []remote.Option {
	return []remote.Option{
		remote.WithTransport(l.Transport(&noNetwork{t: t})),
		remote.WithContext(t.Context()),
	}
}

// layoutGet sends one request for path to l's registry host over scheme.
func layoutGet(t *testing.T, l *registry.Layout, method, scheme, path string) *http.Response {
	t.Helper()
	url := fmt.Sprintf("%s://%s%s", scheme, l.Scope().RegistryStr(), path)
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Transport: l.Transport(&noNetwork{t: t})}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

func TestLayoutDigest(t *testing.T) {
	dir := corpusLayout(t, "e2e-valid-signature")
	for _, scope := range scopes {
		l := openLayout(t, dir, scope)
		tests := []struct {
			ref  registry.LayoutRef
			want string
		}{
			{registry.LayoutRef{Dir: dir, Tag: "v1"}, e2eImage},
			{registry.LayoutRef{Dir: dir, Digest: mustHash(t, e2eImage)}, e2eImage},
			{registry.LayoutRef{Dir: dir, Digest: mustHash(t, e2eSig)}, e2eSig},
			{registry.LayoutRef{Dir: dir, Tag: e2eTagSchema}, e2eTagIndex},
		}
		for _, tt := range tests {
			got, err := l.Digest(tt.ref)
			if err != nil {
				t.Fatalf("Digest(%s): %v", tt.ref, err)
			}
			if want := scope + "@" + tt.want; got.String() != want {
				t.Errorf("Digest(%s) = %s, want %s", tt.ref, got, want)
			}
		}
	}
}

func TestLayoutDigestErrors(t *testing.T) {
	dir := corpusLayout(t, "e2e-valid-signature")
	l := openLayout(t, dir, scopes[0])
	tests := []struct {
		name string
		ref  registry.LayoutRef
		is   error
		want string
	}{
		{"unknown tag", registry.LayoutRef{Dir: dir, Tag: "v2"}, registry.ErrNotFound, `no tag "v2"`},
		{"unknown digest", registry.LayoutRef{Dir: dir, Digest: mustHash(t, someDigest)},
			registry.ErrNotFound, "no manifest " + someDigest},
		// A blob is not a manifest the layout lists.
		{"blob digest", registry.LayoutRef{Dir: dir, Digest: mustHash(t, e2eLayer)},
			registry.ErrNotFound, "no manifest " + e2eLayer},
		{"other layout", registry.LayoutRef{Dir: t.TempDir(), Tag: "v1"},
			registry.ErrInvalidReference, "not the layout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := l.Digest(tt.ref)
			if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Digest(%s) = %v, %v; want an error wrapping %v saying %q",
					tt.ref, got, err, tt.is, tt.want)
			}
		})
	}
}

func TestLayoutRemote(t *testing.T) {
	dir := corpusLayout(t, "e2e-valid-signature")
	for _, scope := range scopes {
		t.Run(scope, func(t *testing.T) {
			l := openLayout(t, dir, scope)
			opts := layoutOptions(t, l)
			desc, err := remote.Head(mustTag(t, scope+":v1"), opts...)
			if err != nil {
				t.Fatalf("HEAD %s:v1: %v", scope, err)
			}
			if desc.Digest.String() != e2eImage || desc.Size != 517 || !desc.MediaType.IsImage() {
				t.Errorf("HEAD %s:v1 = %+v, want the image %s", scope, desc, e2eImage)
			}
			img, err := remote.Image(mustDigest(t, scope+"@"+e2eImage), opts...)
			if err != nil {
				t.Fatalf("reading %s@%s: %v", scope, e2eImage, err)
			}
			layers, err := img.Layers()
			if err != nil || len(layers) != 1 {
				t.Fatalf("image layers = %v, %v; want one", layers, err)
			}
			if got := readLayer(t, layers[0]); got != "awesome notation\n" {
				t.Errorf("layer content = %q", got)
			}
			got, err := remote.Get(mustTag(t, scope+":v1"), opts...)
			if err != nil || got.Digest.String() != e2eImage {
				t.Fatalf("GET %s:v1 = %v, %v", scope, got, err)
			}
			_, err = remote.Head(mustTag(t, scope+":v2"), opts...)
			if !errors.Is(registry.Classify(err), registry.ErrNotFound) {
				t.Errorf("HEAD %s:v2 error = %v, want ErrNotFound", scope, err)
			}
		})
	}
}

func readLayer(t *testing.T, l v1.Layer) string {
	t.Helper()
	rc, err := l.Compressed()
	if err != nil {
		t.Fatalf("reading layer: %v", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading layer: %v", err)
	}
	return string(b)
}

// TestLayoutSchemes: the layout answers whichever scheme a client picks.
func TestLayoutSchemes(t *testing.T) {
	l := openLayout(t, corpusLayout(t, "e2e-valid-signature"), scopes[1])
	for _, scheme := range []string{"http", "https"} {
		resp := layoutGet(t, l, http.MethodGet, scheme, "/v2/")
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s ping = %d, want 200", scheme, resp.StatusCode)
		}
		resp = layoutGet(t, l, http.MethodGet, scheme, "/v2/team/app/blobs/"+e2eLayer)
		b, err := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || err != nil || string(b) != "awesome notation\n" {
			t.Errorf("%s blob = %d %q %v", scheme, resp.StatusCode, b, err)
		}
	}
}

// TestLayoutOtherHosts: requests for other hosts go to the next
// transport, requests for the scope's host never do.
func TestLayoutOtherHosts(t *testing.T) {
	l := openLayout(t, corpusLayout(t, "e2e-valid-signature"), "docker.io/library/app")
	next := &recorder{}
	c := &http.Client{Transport: l.Transport(next)}
	hosts := []string{"index.docker.io", "registry-1.docker.io", "docker.io", "INDEX.docker.io"}
	for _, host := range hosts {
		resp, err := c.Get("https://" + host + "/v2/library/app/manifests/v1")
		if err != nil {
			t.Fatalf("GET from %s: %v", host, err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Docker-Content-Digest") != e2eImage {
			t.Errorf("GET from %s = %d %s, want the image",
				host, resp.StatusCode, resp.Header.Get("Docker-Content-Digest"))
		}
	}
	if _, err := c.Get("https://registry.example.com/v2/"); err == nil {
		t.Error("request to another host succeeded, want the next transport's error")
	}
	if got := next.hosts; len(got) != 1 || got[0] != "registry.example.com" {
		t.Errorf("next transport saw %v, want only registry.example.com", got)
	}
}

type recorder struct{ hosts []string }

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.hosts = append(r.hosts, req.URL.Host)
	return nil, errors.New("recorded, not sent")
}

func TestLayoutMissingBlob(t *testing.T) {
	l := openLayout(t, corpusLayout(t, "e2e-valid-signature"), scopes[0])
	tests := []struct {
		name, path string
		want       int
	}{
		{"missing", "/v2/e2e/blobs/" + someDigest, http.StatusNotFound},
		{"other repository", "/v2/other/blobs/" + e2eLayer, http.StatusNotFound},
		{"traversal", "/v2/e2e/blobs/sha256:..%2F..%2Findex.json", http.StatusNotFound},
		{"bad digest", "/v2/e2e/blobs/sha256:..", http.StatusBadRequest},
		{"unknown path", "/v2/e2e/nothing/here", http.StatusNotFound},
		{"no path", "", http.StatusNotFound},
	}
	for _, tt := range tests {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			resp := layoutGet(t, l, method, "http", tt.path)
			if resp.StatusCode != tt.want {
				t.Errorf("%s: %s %q = %d, want %d", tt.name, method, tt.path, resp.StatusCode, tt.want)
			}
		}
	}
}

func TestLayoutClient(t *testing.T) {
	dir := corpusLayout(t, "e2e-valid-signature")
	for _, scope := range scopes {
		t.Run(scope, func(t *testing.T) {
			l := openLayout(t, dir, scope)
			nn := &noNetwork{t: t}
			c := registry.New(registry.WithLayout(l), registry.WithTransport(nn))
			d, _, err := c.Resolve(t.Context(), scope+":v1")
			if err != nil || d.DigestStr() != e2eImage {
				t.Fatalf("Resolve(%s:v1) = %v, %v; want %s", scope, d, err, e2eImage)
			}
			ok, err := c.Exists(t.Context(), mustDigest(t, scope+"@"+e2eSig))
			if err != nil || !ok {
				t.Errorf("Exists(signature) = %v, %v", ok, err)
			}
			refs, err := c.Referrers(t.Context(), d, notaryType)
			if err != nil || len(refs) != 1 || refs[0].Digest.String() != e2eSig {
				t.Errorf("Referrers(%s) = %+v, %v; want the signature", d, refs, err)
			}
			if c.Requests() == 0 || nn.n.Load() != 0 {
				t.Errorf("client sent %d requests, %d of them to the network; want some, none",
					c.Requests(), nn.n.Load())
			}
		})
	}
}

func TestLayoutTagList(t *testing.T) {
	l := openLayout(t, corpusLayout(t, "e2e-valid-signature"), scopes[0])
	tags, err := remote.List(mustRepo(t, scopes[0]), layoutOptions(t, l)...)
	want := []string{e2eTagSchema, "v1"}
	if err != nil || strings.Join(tags, ",") != strings.Join(want, ",") {
		t.Errorf("tags = %v, %v; want %v", tags, err, want)
	}
}

func TestOpenLayoutScope(t *testing.T) {
	dir := corpusLayout(t, "e2e-valid-signature")
	if _, err := registry.OpenLayout(dir, name.Repository{}); err == nil ||
		!strings.Contains(err.Error(), "scope") {
		t.Errorf("OpenLayout with no scope = %v, want an error about the scope", err)
	}
}
