package teststack

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Issuer names one of the stack's two OIDC issuers; it is the path of the
// issuer under the OIDC server.
type Issuer string

const (
	// EmailIssuer is trusted by Fulcio as an "email" issuer: its tokens
	// get certificates whose SAN is the token's email claim.
	EmailIssuer Issuer = "email"
	// GitHubIssuer is trusted by Fulcio as a "github-workflow" issuer:
	// its tokens carry GitHub Actions claims, which Fulcio copies into
	// certificate extensions.
	GitHubIssuer Issuer = "github"
)

// Audience is the aud claim Fulcio expects: its configured client ID.
const Audience = "sigstore"

const tokenLifetime = 10 * time.Minute

// oidcServer serves the discovery documents and the key set of both
// issuers, and signs their tokens.
type oidcServer struct {
	srv     *httptest.Server
	key     *rsa.PrivateKey
	keyID   string
	foreign *rsa.PrivateKey // signs tokens the key set does not vouch for
}

// newOIDCServer signs with RS256, as GitHub's and Google's issuers do; it is
// also the one algorithm for which cosign takes --identity-token as a token
// rather than a file name.
func newOIDCServer() (*oidcServer, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	foreign, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	o := &oidcServer{key: key, keyID: "teststack-1", foreign: foreign}
	mux := http.NewServeMux()
	for _, iss := range []Issuer{EmailIssuer, GitHubIssuer} {
		mux.HandleFunc("GET /"+string(iss)+"/.well-known/openid-configuration",
			o.discovery(iss))
		mux.HandleFunc("GET /"+string(iss)+"/keys", o.keys)
	}
	o.srv = httptest.NewServer(mux)
	return o, nil
}

// issuerURL is the issuer's identifier, its iss claim.
func (o *oidcServer) issuerURL(iss Issuer) string {
	return o.srv.URL + "/" + string(iss)
}

func (o *oidcServer) discovery(iss Issuer) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		base := o.issuerURL(iss)
		writeJSON(w, http.StatusOK, map[string]any{
			"issuer":                                base,
			"jwks_uri":                              base + "/keys",
			"authorization_endpoint":                base + "/auth",
			"token_endpoint":                        base + "/token",
			"response_types_supported":              []string{"id_token"},
			"subject_types_supported":               []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
			"scopes_supported":                      []string{"openid", "email"},
			"claims_supported": []string{
				"sub", "aud", "iss", "iat", "exp", "email", "email_verified",
			},
		})
	}
}

func (o *oidcServer) keys(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{
		Key: &o.key.PublicKey, KeyID: o.keyID, Algorithm: string(jose.RS256), Use: "sig",
	}}})
}

// token signs claims over the defaults for iss (iss, aud, sub, iat, exp);
// a claim set to nil removes that default.
func (o *oidcServer) token(t testing.TB, iss Issuer, claims map[string]any,
	key crypto.Signer,
) string {
	t.Helper()
	now := time.Now()
	all := map[string]any{
		"iss": o.issuerURL(iss),
		"aud": Audience,
		"sub": "teststack",
		"iat": now.Unix(),
		"nbf": now.Unix(),
		"exp": now.Add(tokenLifetime).Unix(),
	}
	for k, v := range claims {
		if v == nil {
			delete(all, k)
			continue
		}
		all[k] = v
	}
	payload, err := json.Marshal(all)
	if err != nil {
		t.Fatalf("teststack: encoding token claims: %v", err)
	}
	opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", o.keyID)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, opts)
	if err != nil {
		t.Fatalf("teststack: %v", err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatalf("teststack: signing token: %v", err)
	}
	compact, err := jws.CompactSerialize()
	if err != nil {
		t.Fatalf("teststack: %v", err)
	}
	return compact
}

// GitHubClaims are the GitHub Actions claims of a GitHubIssuer token.
// Only Repository and WorkflowRef are needed: GitHubToken derives every
// empty field from them, as a push of WorkflowRef's ref would set it.
type GitHubClaims struct {
	Subject              string // sub; default repo:<Repository>:ref:<Ref>
	Repository           string // "acme/app"
	RepositoryID         string
	RepositoryOwner      string // default: Repository's owner
	RepositoryOwnerID    string
	RepositoryVisibility string // default "public"
	Workflow             string // the workflow's name; default "release"
	WorkflowRef          string // "acme/app/.github/workflows/release.yml@refs/tags/v1.0.0"
	WorkflowSHA          string // default SHA
	JobWorkflowRef       string // default WorkflowRef
	JobWorkflowSHA       string // default WorkflowSHA
	SHA                  string // the commit built
	EventName            string // default "push"
	Ref                  string // default: WorkflowRef after its "@"
	RunID                string
	RunAttempt           string // default "1"
	RunnerEnvironment    string // default "github-hosted"
}

// withDefaults fills the empty fields of c.
func (c GitHubClaims) withDefaults() GitHubClaims {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	owner, _, _ := strings.Cut(c.Repository, "/")
	_, ref, _ := strings.Cut(c.WorkflowRef, "@")
	def(&c.Ref, ref)
	def(&c.Subject, fmt.Sprintf("repo:%s:ref:%s", c.Repository, c.Ref))
	def(&c.RepositoryID, "100001")
	def(&c.RepositoryOwner, owner)
	def(&c.RepositoryOwnerID, "200002")
	def(&c.RepositoryVisibility, "public")
	def(&c.Workflow, "release")
	def(&c.SHA, strings.Repeat("5a", 20))
	def(&c.WorkflowSHA, c.SHA)
	def(&c.JobWorkflowRef, c.WorkflowRef)
	def(&c.JobWorkflowSHA, c.WorkflowSHA)
	def(&c.EventName, "push")
	def(&c.RunID, "300003")
	def(&c.RunAttempt, "1")
	def(&c.RunnerEnvironment, "github-hosted")
	return c
}

// claims maps c onto the claim names of GitHub's Actions tokens.
func (c GitHubClaims) claims() map[string]any {
	return map[string]any{
		"sub":                   c.Subject,
		"repository":            c.Repository,
		"repository_id":         c.RepositoryID,
		"repository_owner":      c.RepositoryOwner,
		"repository_owner_id":   c.RepositoryOwnerID,
		"repository_visibility": c.RepositoryVisibility,
		"workflow":              c.Workflow,
		"workflow_ref":          c.WorkflowRef,
		"workflow_sha":          c.WorkflowSHA,
		"job_workflow_ref":      c.JobWorkflowRef,
		"job_workflow_sha":      c.JobWorkflowSHA,
		"sha":                   c.SHA,
		"event_name":            c.EventName,
		"ref":                   c.Ref,
		"run_id":                c.RunID,
		"run_attempt":           c.RunAttempt,
		"runner_environment":    c.RunnerEnvironment,
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
