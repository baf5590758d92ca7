package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vouchsec/vouch/internal/corpus"
)

// blobPolicy writes a policy whose signers are the YAML mapping entries
// signers (one a line, indented by two) and whose one image policy names
// the first, and returns its path. verify-blob reads only the signers.
func blobPolicy(h *harness, first, signers string) string {
	h.t.Helper()
	return h.write("policy.yaml", fmt.Sprintf(`version: v1
signers:
%spolicies:
- name: files
  scope: ['**']
  signatures: {anyOf: [%s]}
`, signers, first))
}

// yamlQuote writes s as a YAML double-quoted scalar (JSON's string syntax
// is YAML's).
func yamlQuote(t *testing.T, s string) string {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// absPath is a corpus file's absolute path, for a policy written
// elsewhere.
func absPath(t *testing.T, rel string) string {
	t.Helper()
	p, err := filepath.Abs(corpus.Path(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestVerifyBlobPolicyCorpus checks that every sigstore-bundle case of the
// corpus that verify-blob accepts with --certificate-identity and
// --certificate-oidc-issuer is accepted as well with --policy and the
// equivalent keyless signer: the same subject, issuer and trusted root,
// and requireTlog: false, as the flags do not require a log entry.
func TestVerifyBlobPolicyCorpus(t *testing.T) {
	n := 0
	for _, c := range corpus.Cases(t, "sigstore-bundle") {
		if c.Expected != "pass" || c.PublicKey != "" || c.Identity.SAN == "" {
			continue
		}
		n++
		t.Run(c.ID, func(t *testing.T) {
			h := newHarness(t, "")
			pol := blobPolicy(h, "ci", fmt.Sprintf("  ci: {cosign: {keyless: {issuer: %s, "+
				"subject: %s, trustedRoot: %s, requireTlog: false}}}\n",
				yamlQuote(t, c.Identity.Issuer), yamlQuote(t, c.Identity.SAN),
				yamlQuote(t, absPath(t, c.TrustedRoot))))
			args := []string{"verify-blob", "--bundle", corpus.Path(t, c.Bundle), "--policy", pol}
			args = append(args, blobArtifactArgs(t, c)...)
			h.expect(exitOK, []string{"Verified OK", "signer: ci: " + c.Identity.SAN,
				"ci  verified"}, args...)
		})
	}
	if n == 0 {
		t.Fatal("no passing keyless sigstore-bundle case")
	}
}

// TestVerifyBlobPolicy runs verify-blob --policy on the conformance
// suite's v0.3 happy path, a GitHub Actions certificate for the
// sigstore-conformance/extremely-dangerous-public-oidc-beacon repository,
// and on its key-signed bundle.
func TestVerifyBlobPolicy(t *testing.T) {
	const (
		dir    = "sigstore/conformance/"
		san    = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
		issuer = "https://token.actions.githubusercontent.com"
		repo   = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon"
	)
	bundle := corpus.Path(t, dir+"happy-path-v0.3-new-mediaType/bundle.sigstore.json")
	keyBundle := corpus.Path(t, dir+"managed-key-and-trusted-root/bundle.sigstore.json")
	keyRoot := corpus.Path(t, dir+"managed-key-and-trusted-root/trusted_root.json")
	artifact := corpus.Path(t, dir+"a.txt")
	root := yamlQuote(t, absPath(t, "sigstore/trusted-roots/public-good.trusted_root.json"))
	key := yamlQuote(t, absPath(t, dir+"managed-key-and-trusted-root/key.pub"))
	keyless := func(name, fields string) string {
		return fmt.Sprintf("  %s: {cosign: {keyless: {issuer: %s, trustedRoot: %s, %s}}}\n",
			name, issuer, root, fields)
	}
	exact := "subject: " + yamlQuote(t, san)
	// prefix is to the beacon's identity what .../acme/app is to
	// .../acme/app-evil: anchored, it matches neither.
	const prefix = `https://github\.com/sigstore-conformance/extremely-dangerous-public-oidc`
	regexp := `subjectRegexp: '` + prefix + `-beacon/.*'`
	tests := []struct {
		name    string
		signers string
		extra   []string // after --bundle B --policy P FILE
		code    int
		want    []string
	}{
		{"exact subject", keyless("ci", exact), nil, exitOK,
			[]string{"Verified OK", "signer: ci: " + san + " (issuer " + issuer + ")", "ci  verified"}},
		{"regexp and matching claims",
			keyless("ci", regexp+", claims: {sourceRepositoryURI: "+repo+
				", githubWorkflowTrigger: workflow_dispatch}"),
			nil, exitOK, []string{"Verified OK", "signer: ci: " + san}},
		{"wrong subject", keyless("ci", "subject: "+yamlQuote(t, strings.TrimSuffix(san, "/main"))),
			nil, exitPolicy, []string{"Not verified", "ci  refused  identity check failed",
				"no signer of"}},
		{"claims mismatch", keyless("ci", exact+", claims: {sourceRepositoryURI: "+repo+"-evil}"),
			nil, exitPolicy, []string{"ci  refused  identity check failed",
				`SourceRepositoryURI to be "` + repo + `-evil"`}},
		{"regexp matching a prefix only", keyless("ci", `subjectRegexp: '`+prefix+`'`),
			nil, exitPolicy, []string{"ci  refused  identity check failed"}},
		{"one of two signers", keyless("other", "subject: https://example.com/other") +
			keyless("ci", exact), nil, exitOK,
			[]string{"signer: ci: ", "other  refused   identity check failed", "ci     verified"}},
		{"--signer keeps only the one named", keyless("other", "subject: https://example.com/other") +
			keyless("ci", exact), []string{"--signer", "other"}, exitPolicy,
			[]string{"other  refused"}},
		{"requireTimestamp without one", keyless("ci", exact+", requireTimestamp: true"), nil,
			exitPolicy, []string{"ci  refused  timestamp check failed"}},
		{"a key for a certificate bundle", "  k: {cosign: {key: " + key + "}}\n" + keyless("ci", exact),
			[]string{"--trusted-root", keyRoot}, exitOK,
			[]string{"signer: ci: ", "k   refused", "ci  verified"}},
		{"--signer naming no signer", keyless("ci", exact), []string{"--signer", "nobody"},
			exitUsage, []string{`--signer "nobody"`, "cosign signers are: ci"}},
		{"a key signer with no trusted root", "  k: {cosign: {key: " + key + "}}\n", nil,
			exitUsage, []string{`signer "k" is a key with no trustedRoot: give --trusted-root`}},
		{"--policy with an identity", keyless("ci", exact),
			[]string{"--certificate-identity", san, "--certificate-oidc-issuer", issuer},
			exitUsage, []string{"--policy excludes --key and --certificate-* flags"}},
		{"bad policy", keyless("ci", exact+", claims: {issuer: "+issuer+"}"), nil, exitUsage,
			[]string{"policy.yaml:3:", `claims cannot pin issuer`}},
		{"claim with a list value", keyless("ci", exact+", claims: {buildTrigger: [push]}"), nil,
			exitUsage, []string{"policy.yaml:3:", "claims buildTrigger must be a string, not a list"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, "")
			first, _, _ := strings.Cut(strings.TrimSpace(tt.signers), ":")
			pol := blobPolicy(h, first, tt.signers)
			args := append([]string{"verify-blob", "--bundle", bundle, "--policy", pol, artifact},
				tt.extra...)
			h.expect(tt.code, tt.want, args...)
		})
	}
	t.Run("key signer", func(t *testing.T) {
		h := newHarness(t, "")
		pol := blobPolicy(h, "k", "  k: {cosign: {key: "+key+"}}\n")
		h.expect(exitOK, []string{"signer: k: key " + strings.Trim(key, `"`), "k  verified"},
			"verify-blob", "--bundle", keyBundle, "--policy", pol, "--trusted-root", keyRoot, artifact)
	})
}

// TestVerifyBlobPolicyUsage checks the refusals that come before any
// policy is read.
func TestVerifyBlobPolicyUsage(t *testing.T) {
	bundle := corpus.Path(t, "sigstore/conformance/happy-path-v0.3-new-mediaType/bundle.sigstore.json")
	artifact := corpus.Path(t, "sigstore/conformance/a.txt")
	h := newHarness(t, "")
	h.expect(exitUsage, []string{"--signer names a signer of --policy"}, "verify-blob",
		"--bundle", bundle, "--trusted-root", bundle, "--signer", "ci", artifact,
		"--certificate-identity", "x", "--certificate-oidc-issuer", "y")
	h.expect(exitUsage, []string{"no/such/policy.yaml"}, "verify-blob", "--bundle", bundle,
		"--policy", h.path("no/such/policy.yaml"), artifact)
	notation := blobPolicy(h, "n", "  n: {notation: {trustStore: "+
		yamlQuote(t, absPath(t, "notation/config-e2e/truststore/x509/ca/e2e"))+
		", identities: ['*']}}\n")
	h.expect(exitUsage, []string{"has no cosign signer"}, "verify-blob", "--bundle", bundle,
		"--policy", notation, artifact)
}
