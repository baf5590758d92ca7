package cosign

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	intotov1 "github.com/in-toto/attestation/go/v1"
	"github.com/sigstore/sigstore/pkg/signature"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
)

const (
	predicateSPDX = "https://spdx.dev/Document"
	predicateVuln = "https://cosign.sigstore.dev/attestation/vuln/v1"
)

// testRegistry is go-containerregistry's in-memory registry on 127.0.0.1,
// counting the requests it serves by kind ("GET manifest", "PUT manifest",
// "GET blob", "POST upload", ...).
type testRegistry struct {
	host   string
	mu     sync.Mutex
	counts map[string]int
}

func newRegistry(t *testing.T) *testRegistry {
	t.Helper()
	r := &testRegistry{counts: map[string]int{}}
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.counts[requestKind(req)]++
		r.mu.Unlock()
		reg.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	r.host = strings.TrimPrefix(srv.URL, "http://")
	return r
}

func requestKind(req *http.Request) string {
	switch p := req.URL.Path; {
	case strings.Contains(p, "/manifests/"):
		return req.Method + " manifest"
	case strings.Contains(p, "/blobs/uploads"):
		return req.Method + " upload"
	case strings.Contains(p, "/blobs/"):
		return req.Method + " blob"
	default:
		return req.Method + " other"
	}
}

// count returns how many requests of kind were served since the last reset.
func (r *testRegistry) count(kind string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counts[kind]
}

// writes returns how many requests that change the registry were served.
func (r *testRegistry) writes() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for k, c := range r.counts {
		if !strings.HasPrefix(k, "GET ") && !strings.HasPrefix(k, "HEAD ") {
			n += c
		}
	}
	return n
}

func (r *testRegistry) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	clear(r.counts)
}

// push writes a small random image to repo and returns its digest reference.
func (r *testRegistry) push(t *testing.T, repo string) name.Digest {
	t.Helper()
	img, err := random.Image(512, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(r.host + "/" + repo + ":latest")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatalf("pushing test image: %v", err)
	}
	h, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return ref.Context().Digest(h.String())
}

// testKey is a generated key pair, on disk and loaded.
type testKey struct {
	keyPath, pubPath string
	password         string
	sv               signature.SignerVerifier
	pub              signature.Verifier
}

func newKey(t *testing.T) *testKey {
	t.Helper()
	k := &testKey{password: "correct horse"}
	var err error
	k.keyPath, k.pubPath, err = WriteKeyPair(filepath.Join(t.TempDir(), "cosign"), []byte(k.password))
	if err != nil {
		t.Fatal(err)
	}
	k.sv, err = LoadPrivateKey(readFile(t, k.keyPath), []byte(k.password))
	if err != nil {
		t.Fatal(err)
	}
	k.pub, err = LoadPublicKey(readFile(t, k.pubPath))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// statementFor builds an in-toto v1 statement about d with the predicate in
// file, the way vouch's statement builder does.
func statementFor(t *testing.T, d name.Digest, predicateType, file string) []byte {
	t.Helper()
	pred := &structpb.Struct{}
	if err := protojson.Unmarshal(readFile(t, file), pred); err != nil {
		t.Fatalf("decoding predicate %s: %v", file, err)
	}
	h := hashOf(t, d)
	st := &intotov1.Statement{
		Type: intotov1.StatementTypeUri,
		Subject: []*intotov1.ResourceDescriptor{{
			Name:   d.Context().Name(),
			Digest: map[string]string{h.Algorithm: h.Hex},
		}},
		PredicateType: predicateType,
		Predicate:     pred,
	}
	if err := st.Validate(); err != nil {
		t.Fatal(err)
	}
	b, err := protojson.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func hashOf(t testing.TB, d name.Digest) v1.Hash {
	t.Helper()
	h, err := v1.NewHash(d.DigestStr())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// fetch is Fetch that fails the test on error.
func fetch(t *testing.T, d name.Digest) *Evidence {
	t.Helper()
	ev, err := Fetch(testContext(t), d, nil)
	if err != nil {
		t.Fatalf("Fetch(%s): %v", d, err)
	}
	return ev
}

// failingTransport refuses every request.
type failingTransport struct{}

func (failingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("transport refuses")
}
