package bench

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/vouchsec/vouch/pkg/policy"
)

// TestPolicy checks that the benchmark's policy is one vouch accepts, that
// it covers the benchmark's repository, and that it requires a signature
// and both attestation types.
func TestPolicy(t *testing.T) {
	dir := t.TempDir()
	writePublicKey(t, filepath.Join(dir, "k.pub"))
	file := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(file, []byte(policyYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	pol, err := policy.Load(file)
	if err != nil {
		t.Fatalf("the benchmark policy does not load: %v", err)
	}
	matched := pol.Match("127.0.0.1:5000/" + repo)
	if len(matched) != 1 {
		t.Fatalf("%d policies match the benchmark repository, want 1", len(matched))
	}
	ip := matched[0]
	if ip.Signatures == nil {
		t.Error("the policy requires no signature")
	}
	var types []string
	for _, a := range ip.Attestations {
		types = append(types, a.Type)
	}
	if got := strings.Join(types, ","); got != "sbom,vuln" {
		t.Errorf("attestation types %q, want sbom,vuln", got)
	}
}

func TestRunner(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("runs sh")
	}
	r := newRunner(t, offlineEnv(t.TempDir()), nil)
	u, err := r.run(nil, "sh", "-c", "echo out; echo $HTTPS_PROXY")
	if err != nil {
		t.Fatalf("a command that exits 0: %v", err)
	}
	if u.wall <= 0 {
		t.Errorf("wall time %v", u.wall)
	}
	if runtime.GOOS == "linux" && u.maxRSS <= 0 {
		t.Errorf("max RSS %d on Linux", u.maxRSS)
	}
	// sh's own peak is a few MB: far less than this test process, whose
	// peak a child of it would report instead (see bench/rss).
	if runtime.GOOS == "linux" && u.maxRSS > 32<<20 {
		t.Errorf("max RSS of sh %d MB: that is not sh's own", u.maxRSS>>20)
	}

	_, err = r.run([]string{"WHY=broken"}, "sh", "-c", "echo $WHY >&2; exit 3")
	if err == nil {
		t.Fatal("a command that exits 3 gave no error")
	}
	for _, want := range []string{"exit status 3", "broken"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestOfflineEnv(t *testing.T) {
	env := strings.Join(offlineEnv("/h"), "\n")
	for _, want := range []string{"HOME=/h", "HTTPS_PROXY=" + deadProxy, "NO_PROXY=127.0.0.1"} {
		if !strings.Contains(env, want) {
			t.Errorf("environment lacks %q:\n%s", want, env)
		}
	}
}

// writePublicKey writes a fresh ECDSA P-256 public key as PEM.
func writePublicKey(t *testing.T, file string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	b := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
