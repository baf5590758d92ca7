package teststack

import (
	"context"
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/sign"
)

// certificateFor asks Fulcio for a certificate for a fresh key with token.
func certificateFor(t *testing.T, s *Stack, token string) (*x509.Certificate, error) {
	t.Helper()
	kp, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		t.Fatal(err)
	}
	f := sign.NewFulcio(&sign.FulcioOptions{BaseURL: s.FulcioURL, Timeout: 10 * time.Second})
	der, err := f.GetCertificate(context.Background(), kp,
		&sign.CertificateProviderOptions{IDToken: token})
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

func TestGitHubCertificateExtensions(t *testing.T) {
	s := Start(t)
	const ref = "acme/app/.github/workflows/release.yml@refs/tags/v1.0.0"
	token := s.GitHubToken(t, GitHubClaims{
		Repository: "acme/app", WorkflowRef: ref, EventName: "push",
	})
	cert, err := certificateFor(t, s, token)
	if err != nil {
		t.Fatalf("GetCertificate: %v\nfulcio's log:\n%s", err, s.FulcioLog())
	}
	sum, err := certificate.SummarizeCertificate(cert)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ name, got, want string }{
		{"SAN", sum.SubjectAlternativeName, "https://github.com/" + ref},
		{"issuer", sum.Issuer, s.IssuerURL(GitHubIssuer)},
		{"source repository", sum.SourceRepositoryURI, "https://github.com/acme/app"},
		{"source ref", sum.SourceRepositoryRef, "refs/tags/v1.0.0"},
		{"build config", sum.BuildConfigURI, "https://github.com/" + ref},
		{"build trigger", sum.BuildTrigger, "push"},
		{"workflow repository", sum.GithubWorkflowRepository, "acme/app"},
		{"workflow trigger", sum.GithubWorkflowTrigger, "push"},
		{"workflow ref", sum.GithubWorkflowRef, "refs/tags/v1.0.0"},
		{"runner", sum.RunnerEnvironment, "github-hosted"},
		{"owner", sum.SourceRepositoryOwnerURI, "https://github.com/acme"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if !strings.HasPrefix(sum.RunInvocationURI, "https://github.com/acme/app/actions/runs/") {
		t.Errorf("run invocation = %q", sum.RunInvocationURI)
	}
}

// TestFulcioRefusesBadTokens checks that Fulcio really verifies tokens:
// each of these is refused.
func TestFulcioRefusesBadTokens(t *testing.T) {
	s := Start(t)
	email := map[string]any{
		"sub": "eve@example.com", "email": "eve@example.com", "email_verified": true,
	}
	with := func(extra map[string]any) map[string]any {
		m := map[string]any{}
		for k, v := range email {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name  string
		token string
	}{
		{"key not in JWKS", s.UntrustedToken(t, EmailIssuer, email)},
		{"wrong audience", s.Token(t, EmailIssuer, with(map[string]any{"aud": "not-sigstore"}))},
		{"expired", s.Token(t, EmailIssuer, with(map[string]any{
			"iat": time.Now().Add(-2 * time.Hour).Unix(),
			"nbf": time.Now().Add(-2 * time.Hour).Unix(),
			"exp": time.Now().Add(-time.Hour).Unix(),
		}))},
		{"untrusted issuer", s.Token(t, EmailIssuer,
			with(map[string]any{"iss": "https://accounts.example.com"}))},
		{"GitHub token without workflow claims", s.Token(t, GitHubIssuer, nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cert, err := certificateFor(t, s, tt.token)
			if err == nil {
				t.Fatalf("Fulcio issued a certificate for %v", cert.EmailAddresses)
			}
			t.Logf("refused: %v", err)
		})
	}
}

func TestEmailCertificate(t *testing.T) {
	s := Start(t)
	cert, err := certificateFor(t, s, s.EmailToken(t, "carol@example.com"))
	if err != nil {
		t.Fatalf("GetCertificate: %v\nfulcio's log:\n%s", err, s.FulcioLog())
	}
	if len(cert.EmailAddresses) != 1 || cert.EmailAddresses[0] != "carol@example.com" {
		t.Errorf("email SANs = %v", cert.EmailAddresses)
	}
	roots := x509.NewCertPool()
	roots.AddCert(s.sh.fulcio.chain[len(s.sh.fulcio.chain)-1])
	_, err = cert.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: cert.NotBefore,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}})
	if err != nil {
		t.Errorf("certificate does not chain to the trust bundle: %v", err)
	}
}
