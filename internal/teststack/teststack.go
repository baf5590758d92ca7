// Package teststack runs, for tests, a complete keyless Sigstore deployment
// on 127.0.0.1: an OIDC provider with two issuers, the real Fulcio server
// (built from tools/fulcio) with an ephemeral CA, an RFC 6962 CT log, a
// Rekor v1 log and a timestamp authority. Nothing it starts talks to
// anything off the machine.
//
// Fulcio takes seconds to start, so a test binary shares one deployment:
// the first Start brings it up and it lives until the binary exits (the
// fulcio process is killed with it, on Linux by a parent-death signal).
// Tests stay independent through their own tokens and entries; only the
// timestamp authority's listener is per test.
//
// The fulcio binary is built once into <module root>/bin/fulcio and rebuilt
// only when tools/fulcio/go.sum is newer than it; a file lock keeps test
// packages that run in parallel from building it at the same time. Set
// VOUCH_FULCIO_BIN to use another binary.
package teststack

import (
	"fmt"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/vouchsec/vouch/internal/testtsa"
)

// Stack is a running deployment, as one test sees it.
type Stack struct {
	// FulcioURL is Fulcio's HTTP API (POST /api/v2/signingCert).
	FulcioURL string
	// RekorURL is the Rekor v1 base URL (its API under /api/v1).
	RekorURL string
	// TSAURL is the RFC 3161 endpoint of this test's timestamp authority.
	TSAURL string
	// CTLogURL is the CT log's base URL (its API under /ct/v1).
	CTLogURL string

	sh       *shared
	tsa      *testtsa.TSA
	root     *root.TrustedRoot
	rootJSON []byte
}

// shared is the part of the deployment a test binary starts once.
type shared struct {
	oidc   *oidcServer
	ct     *ctLog
	rekor  *rekorLog
	fulcio *fulcioProc
}

var (
	sharedOnce  sync.Once
	sharedStack *shared
	sharedErr   error
)

// Start returns the test binary's deployment, starting it on first use,
// with a timestamp authority for this test. A failure to build or start
// Fulcio fails the test; it is never a reason to skip.
func Start(t testing.TB) *Stack {
	t.Helper()
	sharedOnce.Do(func() { sharedStack, sharedErr = startShared() })
	if sharedErr != nil {
		t.Fatalf("teststack: %v", sharedErr)
	}
	tsa := testtsa.Start(t)
	sh := sharedStack
	s := &Stack{
		FulcioURL: sh.fulcio.url,
		RekorURL:  sh.rekor.srv.URL,
		TSAURL:    tsa.URL,
		CTLogURL:  sh.ct.srv.URL,
		sh:        sh,
		tsa:       tsa,
	}
	if err := s.buildTrustedRoot(); err != nil {
		t.Fatalf("teststack: building trusted root: %v", err)
	}
	return s
}

func startShared() (*shared, error) {
	bin, err := fulcioBinary()
	if err != nil {
		return nil, err
	}
	sh := &shared{}
	if sh.oidc, err = newOIDCServer(); err != nil {
		return nil, fmt.Errorf("starting OIDC issuer: %w", err)
	}
	if sh.ct, err = newCTLog(); err != nil {
		return nil, fmt.Errorf("starting CT log: %w", err)
	}
	if sh.rekor, err = newRekorLog(); err != nil {
		return nil, fmt.Errorf("starting Rekor: %w", err)
	}
	ctKey, err := pemKey(&sh.ct.key.PublicKey)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "teststack-fulcio-")
	if err != nil {
		return nil, err
	}
	// fulcio reads its files as it starts; nothing is left to clean up.
	defer os.RemoveAll(dir)
	sh.fulcio, err = startFulcio(fulcioSetup{
		bin: bin, dir: dir, ctURL: sh.ct.srv.URL, ctKey: ctKey,
		issuers: map[Issuer]string{
			EmailIssuer:  sh.oidc.issuerURL(EmailIssuer),
			GitHubIssuer: sh.oidc.issuerURL(GitHubIssuer),
		},
	})
	if err != nil {
		return nil, err
	}
	return sh, nil
}

// SkewedRekorURL serves the same Rekor log, with the same key, on a URL of
// its own until the test ends, where entries get an integrated time off
// the clock by skew: for signatures whose log-proven time falls outside
// their certificate's validity.
func (s *Stack) SkewedRekorURL(t testing.TB, skew time.Duration) string {
	t.Helper()
	srv := httptest.NewServer(s.sh.rekor.mux(func() time.Time { return time.Now().Add(skew) }))
	t.Cleanup(srv.Close)
	return srv.URL
}

// IssuerURL is the URL of issuer, the iss claim of its tokens and the
// OIDC issuer that Fulcio writes into its certificates.
func (s *Stack) IssuerURL(issuer Issuer) string {
	return s.sh.oidc.issuerURL(issuer)
}

// EmailToken returns a fresh EmailIssuer token for email, verified, with
// the audience Fulcio expects; Fulcio makes email the certificate's SAN.
func (s *Stack) EmailToken(t testing.TB, email string) string {
	t.Helper()
	return s.Token(t, EmailIssuer, map[string]any{
		"sub": email, "email": email, "email_verified": true,
	})
}

// GitHubToken returns a fresh GitHubIssuer token carrying c, with c's
// empty fields filled as GitHubClaims documents.
func (s *Stack) GitHubToken(t testing.TB, c GitHubClaims) string {
	t.Helper()
	return s.Token(t, GitHubIssuer, c.withDefaults().claims())
}

// Token returns a token of issuer signed with the key its key set
// publishes. claims are laid over the defaults iss, aud ("sigstore"), sub,
// iat, nbf and exp (ten minutes on); a claim set to nil is left out.
func (s *Stack) Token(t testing.TB, issuer Issuer, claims map[string]any) string {
	t.Helper()
	return s.sh.oidc.token(t, issuer, claims, s.sh.oidc.key)
}

// UntrustedToken is Token signed instead with a key that issuer's key set
// does not publish, under the key ID of the one it does.
func (s *Stack) UntrustedToken(t testing.TB, issuer Issuer, claims map[string]any) string {
	t.Helper()
	return s.sh.oidc.token(t, issuer, claims, s.sh.oidc.foreign)
}

// FulcioLog returns the end of what the fulcio process has printed, to
// help explain a failure.
func (s *Stack) FulcioLog() string {
	return s.sh.fulcio.log.String()
}
