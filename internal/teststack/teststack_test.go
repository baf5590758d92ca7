package teststack

import (
	"net/url"
	"os"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/root"
)

func TestEverythingOnLoopback(t *testing.T) {
	s := Start(t)
	urls := map[string]string{
		"Fulcio": s.FulcioURL, "Rekor": s.RekorURL, "TSA": s.TSAURL, "CT log": s.CTLogURL,
		"email issuer": s.IssuerURL(EmailIssuer), "GitHub issuer": s.IssuerURL(GitHubIssuer),
	}
	for name, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if u.Hostname() != "127.0.0.1" {
			t.Errorf("%s is on %s, want 127.0.0.1", name, u.Host)
		}
	}
}

func TestTrustedRootFile(t *testing.T) {
	s := Start(t)
	file := s.WriteTrustedRoot(t, t.TempDir())
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := root.NewTrustedRootFromJSON(data)
	if err != nil {
		t.Fatalf("reading %s back: %v", file, err)
	}
	if n := len(tr.FulcioCertificateAuthorities()); n != 1 {
		t.Errorf("%d certificate authorities, want 1", n)
	}
	if n := len(tr.CTLogs()); n != 1 {
		t.Errorf("%d CT logs, want 1", n)
	}
	if n := len(tr.RekorLogs()); n != 1 {
		t.Errorf("%d Rekor logs, want 1", n)
	}
	if n := len(tr.TimestampingAuthorities()); n != 1 {
		t.Errorf("%d timestamp authorities, want 1", n)
	}
}

// TestSharedDeployment checks that a second Start reuses the running Fulcio
// but gives the test its own timestamp authority.
func TestSharedDeployment(t *testing.T) {
	a, b := Start(t), Start(t)
	if a.FulcioURL != b.FulcioURL || a.RekorURL != b.RekorURL {
		t.Errorf("second Start started another deployment: %s, %s", a.FulcioURL, b.FulcioURL)
	}
	if a.TSAURL == b.TSAURL {
		t.Errorf("both Starts share the timestamp authority %s", a.TSAURL)
	}
	if string(a.TrustedRootJSON()) == "" {
		t.Error("empty trusted root")
	}
}
