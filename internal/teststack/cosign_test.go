package teststack

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/vouchsec/vouch/internal/cosigncli"
)

// TestCosignKeyless signs a blob with the cosign CLI through the whole
// stack, uploading to Rekor, and verifies it with cosign and the stack's
// trusted root.
func TestCosignKeyless(t *testing.T) {
	s := Start(t)
	dir := t.TempDir()
	blob := filepath.Join(dir, "blob.txt")
	if err := os.WriteFile(blob, []byte("signed by cosign"), 0o644); err != nil {
		t.Fatal(err)
	}
	root := s.WriteTrustedRoot(t, dir)
	bundle := filepath.Join(dir, "blob.sigstore.json")
	const email = "dave@example.com"
	out, errOut, err := cosigncli.Run(t, nil, "sign-blob", "--yes", "--tlog-upload=true",
		"--fulcio-url", s.FulcioURL, "--rekor-url", s.RekorURL,
		"--timestamp-server-url", s.TSAURL,
		"--identity-token", s.EmailToken(t, email),
		"--trusted-root", root, "--new-bundle-format", "--bundle", bundle, blob)
	if err != nil {
		t.Fatalf("cosign sign-blob: %v\n%s%s\nfulcio's log:\n%s", err, out, errOut, s.FulcioLog())
	}
	out, errOut, err = cosigncli.Run(t, nil, "verify-blob", "--insecure-ignore-tlog=false",
		"--trusted-root", root, "--bundle", bundle, "--new-bundle-format",
		"--certificate-identity", email,
		"--certificate-oidc-issuer", s.IssuerURL(EmailIssuer), blob)
	if err != nil {
		t.Fatalf("cosign verify-blob: %v\n%s%s", err, out, errOut)
	}
}
