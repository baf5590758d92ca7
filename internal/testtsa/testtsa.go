// Package testtsa runs a real RFC 3161 timestamp authority on 127.0.0.1 for
// tests: sigstore's timestamp-authority server with its in-memory signer,
// which makes a fresh root, intermediate and timestamping certificate.
//
// The timestamp-authority library keeps its signer in package state, so the
// signer and its chain are made once per test binary; every Start gets its own
// listener in front of them. Requests to URL are answered with the whole chain
// in the token, as notation's verifier needs to build a path to Root.
package testtsa

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/spf13/viper"

	"github.com/sigstore/timestamp-authority/v2/pkg/server"
)

// Paths the timestamp-authority server serves.
const (
	timestampPath = "/api/v1/timestamp"
	chainPath     = "/api/v1/timestamp/certchain"
)

// TSA is a running timestamp authority.
type TSA struct {
	// URL is the endpoint that takes DER timestamp queries
	// (application/timestamp-query), as tspclient-go posts them.
	URL string
	// Chain is the TSA's chain: timestamping certificate, intermediate, root.
	Chain []*x509.Certificate
	// Root is the self-signed root to trust.
	Root *x509.Certificate
	// RootPEM is Root in PEM, ready for a trust store file.
	RootPEM []byte
}

var (
	handlerOnce sync.Once
	handler     http.Handler
)

// sharedHandler configures the timestamp-authority API once per process.
func sharedHandler() http.Handler {
	handlerOnce.Do(func() {
		viper.Set("timestamp-signer", "memory")
		viper.Set("timestamp-signer-hash", "sha256")
		viper.Set("include-chain-in-response", true)
		srv := server.NewRestAPIServer("127.0.0.1", 0, []string{"http"},
			false, 10*time.Second, 10*time.Second)
		handler = srv.GetHandler()
	})
	return handler
}

// Start serves the timestamp authority on 127.0.0.1 until the test ends.
func Start(t testing.TB) *TSA {
	t.Helper()
	srv := httptest.NewServer(sharedHandler())
	t.Cleanup(srv.Close)

	chain, err := fetchChain(srv.Client(), srv.URL+chainPath)
	if err != nil {
		t.Fatalf("testtsa: %v", err)
	}
	root := chain[len(chain)-1]
	return &TSA{
		URL:   srv.URL + timestampPath,
		Chain: chain,
		Root:  root,
		RootPEM: pem.EncodeToMemory(&pem.Block{
			Type: "CERTIFICATE", Bytes: root.Raw,
		}),
	}
}

// fetchChain reads the PEM chain the server publishes.
func fetchChain(c *http.Client, url string) ([]*x509.Certificate, error) {
	resp, err := c.Get(url)
	if err != nil {
		return nil, fmt.Errorf("fetching TSA chain: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetching TSA chain: %s", resp.Status)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("reading TSA chain: %w", err)
	}
	var chain []*x509.Certificate
	for block, rest := pem.Decode(body); block != nil; block, rest = pem.Decode(rest) {
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parsing TSA chain: %w", err)
		}
		chain = append(chain, cert)
	}
	if len(chain) < 2 {
		return nil, fmt.Errorf("TSA chain has %d certificates, want at least 2", len(chain))
	}
	return chain, nil
}

// Pool returns a certificate pool holding only Root.
func (a *TSA) Pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(a.Root)
	return pool
}

// TrustedRootJSON returns a trusted_root.json whose only entry is this
// timestamp authority: its chain, valid from the root's NotBefore.
func (a *TSA) TrustedRootJSON(t testing.TB) []byte {
	t.Helper()
	n := len(a.Chain)
	ta := &root.SigstoreTimestampingAuthority{Leaf: a.Chain[0],
		Intermediates: a.Chain[1 : n-1], Root: a.Root,
		ValidityPeriodStart: a.Root.NotBefore, URI: a.URL}
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, nil, nil,
		[]root.TimestampingAuthority{ta}, nil)
	if err != nil {
		t.Fatalf("testtsa: %v", err)
	}
	data, err := tr.MarshalJSON()
	if err != nil {
		t.Fatalf("testtsa: %v", err)
	}
	return data
}
