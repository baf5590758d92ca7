package sigstore

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// jwt returns an unsigned JWT-shaped token with the given claims: IDToken
// reads claims, it never verifies (Fulcio does).
func jwt(t *testing.T, claims map[string]any) string {
	t.Helper()
	body, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256"}`)) + "." + enc(body) + "." + enc([]byte("sig"))
}

// TestIDTokenSources checks the order IDToken takes tokens in: the flag,
// @FILE, SIGSTORE_ID_TOKEN, then GitHub Actions' token endpoint, and the
// refusals of what is plainly not a usable token.
func TestIDTokenSources(t *testing.T) {
	fresh := map[string]any{"sub": "a", "exp": time.Now().Add(time.Hour).Unix()}
	flagTok, envTok, ghTok := jwt(t, fresh), jwt(t, fresh)+"e", jwt(t, fresh)+"g"
	var ghAudience string
	gh := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "bearer request-token" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		ghAudience = r.URL.Query().Get("audience")
		_ = json.NewEncoder(w).Encode(map[string]string{"value": ghTok})
	}))
	defer gh.Close()
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte(flagTok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	t.Setenv(EnvIDToken, envTok)
	t.Setenv(EnvGitHubRequestURL, gh.URL+"/token?api-version=2.0")
	t.Setenv(EnvGitHubRequestToken, "request-token")
	for _, tt := range []struct {
		name, flag, unset, want, source string
	}{
		{"flag first", flagTok, "", flagTok, "--identity-token"},
		{"file", "@" + file, "", flagTok, "the file"},
		{"environment", "", "", envTok, EnvIDToken},
		{"GitHub Actions", "", EnvIDToken, ghTok, "GitHub Actions"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.unset != "" {
				t.Setenv(tt.unset, "")
			}
			tok, source, err := IDToken(t.Context(), TokenOptions{Flag: tt.flag})
			if err != nil {
				t.Fatal(err)
			}
			if tok != tt.want || !strings.HasPrefix(source, tt.source) {
				t.Errorf("token from %q, want %q from %q", source, tt.want, tt.source)
			}
		})
	}
	if ghAudience != "sigstore" {
		t.Errorf("GitHub Actions token asked for audience %q, want sigstore", ghAudience)
	}

	t.Setenv(EnvIDToken, "")
	t.Setenv(EnvGitHubRequestURL, "")
	expired := jwt(t, map[string]any{"exp": time.Now().Add(-time.Minute).Unix()})
	for _, tt := range []struct {
		name, flag, want string
		is               error
	}{
		{"none at all", "", "no identity token", ErrNoToken},
		{"a path without its @", "token.jwt", "write @FILE", ErrInput},
		{"a missing file", "@" + filepath.Join(t.TempDir(), "none"), "--identity-token", ErrInput},
		{"expired", expired, "expired at", ErrInput},
		{"claims not JSON", "a.b.c", "claims cannot be read", ErrInput},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := IDToken(t.Context(), TokenOptions{Flag: tt.flag})
			if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %v saying %q", err, tt.is, tt.want)
			}
		})
	}
}
