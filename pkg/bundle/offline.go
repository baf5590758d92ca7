package bundle

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// NoNetwork is an http.RoundTripper that refuses every request with an
// error wrapping ErrOffline. It opens no connection and resolves no name.
// Give it as the base transport of offline verification: requests to the
// bundle's repository are answered by the bundle's layout in front of it,
// and nothing else is answered at all.
type NoNetwork struct{}

// RoundTrip implements http.RoundTripper.
func (NoNetwork) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
	return nil, fmt.Errorf("%w: %s %s is not in the bundle",
		ErrOffline, req.Method, req.URL.Redacted())
}

// RevocationClient returns an HTTP client for notation's revocation
// checks offline: it answers a GET of a CRL the bundle holds with that
// CRL, read from the bundle and checked against its digest, and refuses
// everything else (OCSP among it) with ErrOffline, so a certificate whose
// CRL the bundle lacks fails its revocation check. notation-go reports
// that only as an unknown revocation status; [Bundle.Refused] says which
// requests were refused.
func (b *Bundle) RevocationClient() *http.Client {
	return &http.Client{Transport: &crlTransport{b: b}}
}

// Refused returns the revocation requests (OCSP and CRL URLs) that
// RevocationClient refused so far, each once, in order.
func (b *Bundle) Refused() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.refused)
}

type crlTransport struct{ b *Bundle }

func (t *crlTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	desc, ok := t.b.crls[req.URL.String()]
	if !ok || req.Method != http.MethodGet {
		t.b.refuse(req.URL.Redacted())
		return NoNetwork{}.RoundTrip(req)
	}
	if req.Body != nil {
		_ = req.Body.Close()
	}
	raw, err := readBlob(t.b.dir, desc, maxCRLSize)
	if err != nil {
		return nil, fmt.Errorf("reading the bundled CRL of %s: %w", req.URL, err)
	}
	return &http.Response{
		Status:     "200 OK",
		StatusCode: http.StatusOK,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header: http.Header{
			"Content-Type":   {mediaTypeCRL},
			"Content-Length": {strconv.Itoa(len(raw))},
		},
		Body:          io.NopCloser(bytes.NewReader(raw)),
		ContentLength: int64(len(raw)),
		Request:       req,
	}, nil
}

func (b *Bundle) refuse(u string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !slices.Contains(b.refused, u) {
		b.refused = append(b.refused, u)
	}
}

// Policy lays out the bundled policy file and the key and certificate
// files it names in a temporary directory that Close removes, each file
// checked against its digest, where they stand as they stood at export,
// relative to each other, and returns the policy file's path there. Its
// relative paths then name the bundled copies. (A policy that named files
// by absolute paths was bundled rewritten to name them by relative ones;
// the policy as given is kept beside it, under original/, for the
// record.) A bundle without a policy returns "".
func (b *Bundle) Policy() (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.policy != "" {
		return b.policy, nil
	}
	pol, ok := b.artifacts[KindPolicy]
	if !ok {
		return "", nil
	}
	if len(pol.layers) == 0 {
		return "", fmt.Errorf("%w: the policy entry holds no file", ErrCorrupt)
	}
	if b.tmp == "" {
		tmp, err := os.MkdirTemp("", "vouch-bundle-*")
		if err != nil {
			return "", err
		}
		b.tmp = tmp
	}
	dir := filepath.Join(b.tmp, "policy")
	files := pol.layers
	if trust, ok := b.artifacts[KindTrust]; ok {
		files = append(slices.Clone(files), trust.layers...)
	}
	if err := b.layOut(dir, files); err != nil {
		return "", err
	}
	b.policy = filepath.Join(dir, filepath.FromSlash(pol.layers[0].Annotations[annotationTitle]))
	return b.policy, nil
}

// PolicyTitle is the bundled policy's path inside the bundle (its title),
// for reports: the file Policy lays out is gone once the bundle is
// closed. It is "" for a bundle without a policy.
func (b *Bundle) PolicyTitle() string {
	pol, ok := b.artifacts[KindPolicy]
	if !ok || len(pol.layers) == 0 {
		return ""
	}
	return pol.layers[0].Annotations[annotationTitle]
}

// layOut writes each file to dir at its title, refusing titles that
// would leave dir or name one file twice.
func (b *Bundle) layOut(dir string, files []v1.Descriptor) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	seen := map[string]bool{}
	for _, f := range files {
		title := f.Annotations[annotationTitle]
		if !validTitle(title) || seen[title] {
			return fmt.Errorf("%w: bundled file %s has the title %q: want a clean relative path, once",
				ErrCorrupt, f.Digest, title)
		}
		seen[title] = true
		raw, err := readBlob(b.dir, f, maxTrustFileSize)
		if err != nil {
			return err
		}
		if err := root.MkdirAll(path.Dir(title), 0o700); err != nil {
			return err
		}
		if err := root.WriteFile(title, raw, 0o600); err != nil {
			return err
		}
	}
	return nil
}

func validTitle(t string) bool {
	return t != "" && !strings.Contains(t, `\`) && path.Clean(t) == t &&
		filepath.IsLocal(filepath.FromSlash(t))
}
