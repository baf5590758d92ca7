package testpki

import (
	"crypto/x509"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// crlServer serves the DER CRLs of a PKI's CAs on 127.0.0.1.
type crlServer struct {
	srv  *httptest.Server
	mu   sync.Mutex
	crls map[string][]byte
}

func startCRLServer(t testing.TB) *crlServer {
	s := &crlServer{crls: map[string][]byte{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// newPath reserves a path for one CA's CRL and returns it with its URL.
func (s *crlServer) newPath() (path, url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	path = fmt.Sprintf("/ca%d.crl", len(s.crls))
	s.crls[path] = nil
	return path, s.srv.URL + path
}

func (s *crlServer) set(path string, der []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.crls[path] = der
}

func (s *crlServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	der := s.crls[r.URL.Path]
	s.mu.Unlock()
	if r.Method != http.MethodGet || der == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/pkix-crl")
	_, _ = w.Write(der)
}

// Revoke adds cert, the leaf or the intermediate, to its issuer's CRL and
// publishes the new list at once. It fails the test for any other cert.
func (p *PKI) Revoke(cert *x509.Certificate) {
	p.t.Helper()
	var issuer *ca
	switch {
	case cert.Equal(p.Leaf):
		issuer = p.interCA
	case cert.Equal(p.Intermediate):
		issuer = p.rootCA
	default:
		p.t.Fatalf("testpki: Revoke: %s was not issued by this PKI", cert.Subject)
	}
	if err := issuer.revoke(cert, time.Now()); err != nil {
		p.t.Fatalf("testpki: Revoke: %v", err)
	}
}
