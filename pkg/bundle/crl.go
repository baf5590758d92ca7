package bundle

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/notaryproject/notation-core-go/revocation/crl"
	"github.com/notaryproject/notation-core-go/signature"
	// Register the envelope formats signature.ParseEnvelope reads.
	_ "github.com/notaryproject/notation-core-go/signature/cose"
	_ "github.com/notaryproject/notation-core-go/signature/jws"
	"github.com/notaryproject/tspclient-go"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	vnotation "github.com/vouchsec/vouch/pkg/notation"
)

// maxCRLSize bounds one CRL, as notation-core-go's fetcher does.
const maxCRLSize = 32 << 20

// CRLTimeout bounds each CRL request at export when ExportOptions gives
// no client.
const CRLTimeout = 10 * time.Second

// crlURLs returns the CRL distribution points named by the certificates
// of every notation signature in ev: the signing chains and the chains of
// their timestamp countersignatures. notation-core-go reads only http
// URLs, so only those are returned, each once, sorted.
//
// OCSP responses are not bundled: offline, a certificate that names an
// OCSP responder and no CRL fails its revocation check (closed).
func crlURLs(ev *vnotation.Evidence) ([]string, error) {
	sigs := slices.Clone(ev.Signatures)
	for _, a := range ev.Attestations {
		sigs = append(sigs, a.Signatures...)
	}
	var urls []string
	for _, s := range sigs {
		certs, err := envelopeCerts(s)
		if err != nil {
			return nil, err
		}
		for _, c := range certs {
			for _, u := range c.CRLDistributionPoints {
				if strings.HasPrefix(u, "http://") && !slices.Contains(urls, u) {
					urls = append(urls, u)
				}
			}
		}
	}
	slices.Sort(urls)
	return urls, nil
}

// envelopeCerts returns the certificates a notation signature carries.
func envelopeCerts(s *vnotation.Signature) ([]*x509.Certificate, error) {
	env, err := signature.ParseEnvelope(s.MediaType, s.Envelope)
	if err != nil {
		return nil, fmt.Errorf("reading notation signature %s: %w", s.Manifest.Digest, err)
	}
	content, err := env.Content()
	if err != nil {
		return nil, fmt.Errorf("reading notation signature %s: %w", s.Manifest.Digest, err)
	}
	certs := slices.Clone(content.SignerInfo.CertificateChain)
	if ts := content.SignerInfo.UnsignedAttributes.TimestampSignature; len(ts) > 0 {
		token, err := tspclient.ParseSignedToken(ts)
		if err != nil {
			return nil, fmt.Errorf("reading the timestamp of notation signature %s: %w",
				s.Manifest.Digest, err)
		}
		certs = append(certs, token.Certificates...)
	}
	return certs, nil
}

// fetchCRLs fetches each CRL urls names, and the delta CRLs they point
// at, with notation-core-go's fetcher through client, and returns the
// bodies by URL. The URLs that could not be fetched are returned apart,
// with why.
func fetchCRLs(ctx context.Context, client *http.Client, urls []string) (
	map[string][]byte, map[string]error) {
	if client == nil {
		client = &http.Client{Timeout: CRLTimeout}
	}
	rec := &recorder{next: client.Transport, bodies: map[string][]byte{}}
	if rec.next == nil {
		rec.next = http.DefaultTransport
	}
	failed := map[string]error{}
	f, err := crl.NewHTTPFetcher(&http.Client{Transport: rec, Timeout: client.Timeout})
	for _, u := range urls {
		switch {
		case err != nil:
			failed[u] = err
		default:
			if _, ferr := f.Fetch(ctx, u); ferr != nil {
				failed[u] = ferr
			}
		}
	}
	return rec.bodies, failed
}

// recorder keeps the body of every successful GET it passes on.
type recorder struct {
	next   http.RoundTripper
	mu     sync.Mutex
	bodies map[string][]byte
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	if err != nil || req.Method != http.MethodGet || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxCRLSize+1))
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if len(body) > maxCRLSize {
		return nil, fmt.Errorf("CRL at %s is more than %d bytes", req.URL, maxCRLSize)
	}
	r.mu.Lock()
	r.bodies[req.URL.String()] = body
	r.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, nil
}

// writeCRLs writes the CRLs as the bundle's crl entry, one layer each
// with the URL it came from.
func writeCRLs(w *layoutWriter, bodies map[string][]byte) error {
	if len(bodies) == 0 {
		return nil
	}
	var layers []v1.Descriptor
	for _, u := range slices.Sorted(maps.Keys(bodies)) {
		desc, err := w.bytes(mediaTypeCRL, bodies[u])
		if err != nil {
			return err
		}
		desc.Annotations = map[string]string{AnnotationURL: u}
		layers = append(layers, desc)
	}
	_, err := w.artifact(KindCRL, ArtifactTypeCRL, layers)
	return err
}
