package teststack

import (
	"encoding/json"
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

// TestCosignClassicKeyless signs with cosign's own upload path: no trusted
// root, the old bundle, and the service keys from cosign's environment
// variables, as cosign uses them when TUF is out of reach.
func TestCosignClassicKeyless(t *testing.T) {
	s := Start(t)
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		t.Helper()
		file := filepath.Join(dir, name)
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return file
	}
	blob := write("blob.txt", []byte("classic cosign"))
	env := s.CosignEnv(t, dir)
	bundle := filepath.Join(dir, "blob.bundle")
	const email = "erin@example.com"
	out, errOut, err := cosigncli.Run(t, env, "sign-blob", "--yes", "--tlog-upload=true",
		"--fulcio-url", s.FulcioURL, "--rekor-url", s.RekorURL,
		"--identity-token", s.EmailToken(t, email), "--bundle", bundle, blob)
	if err != nil {
		t.Fatalf("cosign sign-blob: %v\n%s%s\nfulcio's log:\n%s", err, out, errOut, s.FulcioLog())
	}
	out, errOut, err = cosigncli.Run(t, env, "verify-blob", "--insecure-ignore-tlog=false",
		"--rekor-url", s.RekorURL, "--bundle", bundle,
		"--certificate-identity", email,
		"--certificate-oidc-issuer", s.IssuerURL(EmailIssuer), blob)
	if err != nil {
		t.Fatalf("cosign verify-blob: %v\n%s%s", err, out, errOut)
	}
}

// TestCosignAttestBlob uploads attestations as cosign attest-blob does, as
// a dsse entry and as an intoto v0.0.2 one, and verifies them.
func TestCosignAttestBlob(t *testing.T) {
	s := Start(t)
	for _, kind := range []string{"dsse", "intoto"} {
		t.Run(kind, func(t *testing.T) { attestBlob(t, s, kind) })
	}
}

func attestBlob(t *testing.T, s *Stack, kind string) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		t.Helper()
		file := filepath.Join(dir, name)
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return file
	}
	blob := write("blob.txt", []byte("attested by cosign as "+kind))
	predicate := write("predicate.json", []byte(`{"builder":{"id":"teststack"}}`))
	env := s.CosignEnv(t, dir)
	bundle := filepath.Join(dir, "att.bundle")
	const email = "frank@example.com"
	const predicateType = "https://vouch.test/teststack/v1"
	out, errOut, err := cosigncli.Run(t, env, "attest-blob", "--yes", "--tlog-upload=true",
		"--fulcio-url", s.FulcioURL, "--rekor-url", s.RekorURL, "--rekor-entry-type", kind,
		"--identity-token", s.EmailToken(t, email), "--bundle", bundle,
		"--predicate", predicate, "--type", predicateType, blob)
	if err != nil {
		t.Fatalf("cosign attest-blob: %v\n%s%s\nfulcio's log:\n%s", err, out, errOut, s.FulcioLog())
	}
	if got := rekorKind(t, bundle); got != kind {
		t.Errorf("cosign logged a %q entry, want %q", got, kind)
	}
	out, errOut, err = cosigncli.Run(t, env, "verify-blob-attestation", "--insecure-ignore-tlog=false",
		"--rekor-url", s.RekorURL, "--bundle", bundle, "--type", predicateType,
		"--certificate-identity", email,
		"--certificate-oidc-issuer", s.IssuerURL(EmailIssuer), blob)
	if err != nil {
		t.Fatalf("cosign verify-blob-attestation: %v\n%s%s", err, out, errOut)
	}
}

// rekorKind reads the kind and version of the Rekor entry in a cosign bundle.
func rekorKind(t *testing.T, file string) string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var b struct {
		RekorBundle struct {
			Payload struct {
				Body []byte `json:"body"`
			}
		} `json:"rekorBundle"`
	}
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatal(err)
	}
	var body struct{ Kind, APIVersion string }
	if err := json.Unmarshal(b.RekorBundle.Payload.Body, &body); err != nil {
		t.Fatalf("bundle's Rekor entry: %v", err)
	}
	t.Logf("Rekor entry: %s %s", body.Kind, body.APIVersion)
	return body.Kind
}
