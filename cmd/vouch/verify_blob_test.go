package main

import (
	"strings"
	"testing"

	"github.com/vouchsec/vouch/internal/corpus"
)

// TestVerifyBlobCorpus runs every sigstore-bundle case of the shared
// corpus through vouch verify-blob, offline, with the case's trusted root
// and signer, and checks its expected outcome. A failure must exit 2 when
// the corpus's own check could not load the bundle, root or key, and 1,
// naming the failed check, when verification refused it.
func TestVerifyBlobCorpus(t *testing.T) {
	var passed, refused int
	for _, c := range corpus.Cases(t, "sigstore-bundle") {
		t.Run(c.ID, func(t *testing.T) {
			code, out := newHarness(t, "").vouch(verifyBlobArgs(t, c)...)
			want := wantBlobCode(c)
			if code != want {
				t.Fatalf("exit %d, want %d (%s: %s)\n%s", code, want, c.Expected, c.Reason, out)
			}
			switch code {
			case exitOK:
				passed++
			case exitPolicy:
				refused++
				if !strings.Contains(out, "check failed") {
					t.Errorf("refusal does not name the failed check:\n%s", out)
				}
			}
		})
	}
	t.Logf("%d cases verified, %d refused by a named check", passed, refused)
}

// wantBlobCode is the exit code a case must give.
func wantBlobCode(c corpus.Case) int {
	if c.Expected == "pass" {
		return exitOK
	}
	for _, stage := range []string{"FAIL[load]", "FAIL[root]", "FAIL[key]"} {
		if strings.Contains(c.CheckedWith, stage) {
			return exitUsage
		}
	}
	return exitPolicy
}

// verifyBlobArgs is the command line for a case.
func verifyBlobArgs(t *testing.T, c corpus.Case) []string {
	t.Helper()
	args := []string{"verify-blob", "--bundle", corpus.Path(t, c.Bundle),
		"--trusted-root", corpus.Path(t, c.TrustedRoot)}
	args = append(args, blobArtifactArgs(t, c)...)
	id := c.Identity
	if id.SAN == "" && len(c.BundleFacts.Certificate.SAN) > 0 {
		// A failing case that names no identity: the one its
		// certificate claims, so that the bundle itself is refused.
		id = corpus.Identity{SAN: c.BundleFacts.Certificate.SAN[0],
			Issuer: c.BundleFacts.Certificate.OIDCIssuer}
	}
	switch {
	case c.PublicKey != "":
		return append(args, "--key", corpus.Path(t, c.PublicKey))
	case id.SAN != "":
		return append(args, "--certificate-identity", id.SAN, "--certificate-oidc-issuer", id.Issuer)
	}
	// No key, no identity and no certificate: an identity nothing
	// matches, so the bundle must be refused before any is compared.
	return append(args, "--certificate-identity", "nobody", "--certificate-oidc-issuer", "nowhere")
}

// blobArtifactArgs names the artifact: the file when the corpus has it,
// else its digest. For DSSE bundles whose subject was never copied (npm
// and sigstore-go provenance) the digest is the npm package's, or else
// the statement subject the corpus recorded, which then proves nothing
// beyond the signature over the statement.
func blobArtifactArgs(t *testing.T, c corpus.Case) []string {
	t.Helper()
	switch {
	case c.Artifact != "":
		return []string{corpus.Path(t, c.Artifact)}
	case c.ArtifactDigest != "":
		return []string{"--digest", c.ArtifactDigest}
	case c.PackageSHA512 != "":
		return []string{"--digest", "sha512:" + c.PackageSHA512}
	}
	for _, s := range c.BundleFacts.DSSE.Subject {
		for _, alg := range []string{"sha256", "sha512"} {
			if d := s.Digest[alg]; d != "" {
				return []string{"--digest", alg + ":" + d}
			}
		}
	}
	t.Fatalf("case %s has no artifact, digest or DSSE subject", c.ID)
	return nil
}

// TestVerifyBlobRefusals checks what verify-blob refuses, and with which
// exit code and named check, on the conformance suite's v0.3 happy path.
func TestVerifyBlobRefusals(t *testing.T) {
	const (
		dir    = "sigstore/conformance/"
		san    = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
		issuer = "https://token.actions.githubusercontent.com"
		digest = "sha256:a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf"
	)
	p := func(rel string) string { return corpus.Path(t, rel) }
	bundle := p(dir + "happy-path-v0.3-new-mediaType/bundle.sigstore.json")
	keyBundle := p(dir + "managed-key-and-trusted-root/bundle.sigstore.json")
	key := p(dir + "managed-key-and-trusted-root/key.pub")
	root := p("sigstore/trusted-roots/public-good.trusted_root.json")
	artifact := p(dir + "a.txt")
	base := []string{"verify-blob", "--bundle", bundle, "--trusted-root", root}
	keyless := func(extra ...string) []string {
		return append(append(append([]string{}, base...), "--certificate-oidc-issuer", issuer), extra...)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"exact identity", keyless(artifact, "--certificate-identity", san), exitOK, "Verified OK"},
		{"digest in place of the file", keyless("--digest", digest, "--certificate-identity", san),
			exitOK, "Verified OK"},
		{"regexp over the whole identity",
			keyless(artifact, "--certificate-identity-regexp",
				`https://github\.com/sigstore-conformance/.*@refs/heads/main`), exitOK, "Verified OK"},
		{"regexp matching only a prefix",
			keyless(artifact, "--certificate-identity-regexp",
				`https://github\.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon`),
			exitPolicy, "identity check failed"},
		{"identity the subject merely contains",
			keyless(artifact, "--certificate-identity", strings.TrimSuffix(san, "/main")),
			exitPolicy, "identity check failed"},
		{"wrong issuer", append(append([]string{}, base...), artifact,
			"--certificate-identity", san, "--certificate-oidc-issuer", "https://accounts.google.com"),
			exitPolicy, "identity check failed"},
		{"another artifact's digest",
			keyless("--digest", "sha256:"+strings.Repeat("0", 64), "--certificate-identity", san),
			exitPolicy, "signature check failed"},
		{"a key for a certificate bundle", append(append([]string{}, base...), artifact, "--key", key),
			exitPolicy, "check failed"},
		{"an identity for a key-signed bundle",
			[]string{"verify-blob", "--bundle", keyBundle, "--trusted-root",
				p(dir + "managed-key-and-trusted-root/trusted_root.json"), artifact,
				"--certificate-identity", san, "--certificate-oidc-issuer", issuer},
			exitPolicy, "check failed"},
		{"no trusted root, and TUF out of reach", []string{"verify-blob", "--bundle", bundle, artifact,
			"--certificate-identity", san, "--certificate-oidc-issuer", issuer},
			exitRegistry, "public Sigstore trusted root through TUF"},
		{"file and digest", keyless(artifact, "--digest", digest, "--certificate-identity", san),
			exitUsage, "not both"},
		{"neither file nor digest", keyless("--certificate-identity", san), exitUsage, "FILE"},
		{"no signer", append(append([]string{}, base...), artifact), exitUsage, "--key"},
		{"key and identity", keyless(artifact, "--key", key, "--certificate-identity", san),
			exitUsage, "exclude each other"},
		{"identity without issuer", append(append([]string{}, base...), artifact,
			"--certificate-identity", san), exitUsage, "--certificate-oidc-issuer is required"},
		{"identity and regexp", keyless(artifact, "--certificate-identity", san,
			"--certificate-identity-regexp", ".*"), exitUsage, "not both"},
		{"bad regexp", keyless(artifact, "--certificate-identity-regexp", "("), exitUsage, "regexp"},
		{"bad digest", keyless("--digest", "sha256:abc", "--certificate-identity", san),
			exitUsage, "--digest"},
		{"missing bundle", []string{"verify-blob", "--bundle", p("no/such/bundle.json"),
			"--trusted-root", root, artifact, "--certificate-identity", san,
			"--certificate-oidc-issuer", issuer}, exitUsage, "reading bundle"},
	}
	unreachableTUF(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			newHarness(t, "").expect(tt.code, []string{tt.want}, tt.args...)
		})
	}
}
