package policy

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// importedSigner is what a test expects of one imported signer: its trust
// stores relative to the trust store directory.
type importedSigner struct {
	store, tsa string
	ids        []string
	level      string
}

// importedPolicy is what a test expects of one imported image policy.
type importedPolicy struct {
	name  string
	scope []string
	anyOf []string
	skip  bool
}

var anyIDs = []string{AnyIdentity}

func TestImportNotation(t *testing.T) {
	e2e := importedSigner{store: "x509/ca/e2e", ids: anyIDs, level: LevelStrict}
	withLevel := func(s importedSigner, level string) importedSigner {
		s.level = level
		return s
	}
	for _, tc := range []struct {
		policy, store string
		signers       map[string]importedSigner
		policies      []importedPolicy
	}{
		{"trustpolicy.json", "config-e2e", map[string]importedSigner{"e2e": e2e},
			[]importedPolicy{{"e2e", []string{"**"}, []string{"e2e"}, false}}},
		{"permissive_trustpolicy.json", "config-e2e",
			map[string]importedSigner{"e2e": withLevel(e2e, LevelPermissive)},
			[]importedPolicy{{"e2e", []string{"**"}, []string{"e2e"}, false}}},
		{"audit_trustpolicy.json", "config-new_e2e",
			map[string]importedSigner{"e2e": withLevel(e2e, LevelAudit)},
			[]importedPolicy{{"e2e", []string{"**"}, []string{"e2e"}, false}}},
		{"override_strict_trustpolicy.json", "config-e2e",
			map[string]importedSigner{"e2e": withLevel(e2e, LevelAudit)},
			[]importedPolicy{{"e2e", []string{"**"}, []string{"e2e"}, false}}},
		{"override_audit_trustpolicy.json", "config-e2e", map[string]importedSigner{"e2e": e2e},
			[]importedPolicy{{"e2e", []string{"**"}, []string{"e2e"}, false}}},
		{"skip_trustpolicy.json", "config-e2e", map[string]importedSigner{},
			[]importedPolicy{{"e2e", []string{"**"}, nil, true}}},
		{"multiple_registry_scope_trustpolicy.json", "config-e2e",
			map[string]importedSigner{"e2e": e2e}, []importedPolicy{{"e2e",
				[]string{"localhost:5000/test-repo3", "localhost:5000/test-repo2"},
				[]string{"e2e"}, false}}},
		{"multi_statements_with_wildcard_registry_scope_trustpolicy.json", "config-e2e",
			map[string]importedSigner{"e2e": e2e, "e2e2": e2e}, []importedPolicy{
				{"e2e", []string{"localhost:5000/test-repo9"}, []string{"e2e"}, false},
				{"e2e2", []string{"**"}, []string{"e2e2"}, false}}},
		{"multiple_trusted_identity_trustpolicy.json", "config-e2e",
			map[string]importedSigner{"e2e": {store: "x509/ca/e2e", level: LevelStrict, ids: []string{
				"x509.subject: CN=e2e,O=Notary,L=Seattle,ST=WA,C=US",
				"x509.subject: O=Internet Widgits Pty Ltd,ST=Some-State,C=AU"}}},
			[]importedPolicy{{"e2e", []string{"**"}, []string{"e2e"}, false}}},
		{"../trustpolicy.timestamp.json", "notation-go-config", map[string]importedSigner{
			"test-timestamp": {store: "x509/ca/valid-trust-store", tsa: "x509/tsa/test-timestamp",
				ids: anyIDs, level: LevelStrict}},
			[]importedPolicy{{"test-timestamp", []string{"**"}, []string{"test-timestamp"}, false}}},
		{"multiple_trust_store_trustpolicy.json", "", map[string]importedSigner{
			"e2e-e2e": e2e, "e2e-e2e-new": {store: "x509/ca/e2e-new", ids: anyIDs, level: LevelStrict}},
			[]importedPolicy{{"e2e", []string{"**"}, []string{"e2e-e2e", "e2e-e2e-new"}, false}}},
		{"timestamp_trustpolicy.json", "", map[string]importedSigner{
			"e2e": {store: "x509/ca/e2e", tsa: "x509/tsa/e2e", ids: anyIDs, level: LevelStrict}},
			[]importedPolicy{{"e2e", []string{"**"}, []string{"e2e"}, false}}},
	} {
		t.Run(tc.policy, func(t *testing.T) {
			storeDir := filepath.Join("testdata", "notation", tc.store, "truststore")
			if tc.store == "" {
				storeDir = combinedStore(t)
			}
			out, err := ImportNotation(notationPolicyFile(tc.policy), storeDir)
			if err != nil {
				t.Fatalf("ImportNotation: %v", err)
			}
			p, err := Parse(filepath.Join(t.TempDir(), "imported.yaml"), out)
			if err != nil {
				t.Fatalf("the imported policy does not load: %v\n%s", err, out)
			}
			abs, _ := filepath.Abs(storeDir)
			checkImportedSigners(t, p, abs, tc.signers)
			checkImportedPolicies(t, p, tc.policies)
			if !strings.HasPrefix(string(out), "# Imported from the notation trust policy ") {
				t.Errorf("output does not say where it comes from:\n%s", out)
			}
		})
	}
}

func notationPolicyFile(name string) string {
	return filepath.Join("testdata", "notation", "trustpolicies", name)
}

func checkImportedSigners(t *testing.T, p *Policy, storeDir string,
	want map[string]importedSigner) {
	t.Helper()
	if len(p.Signers) != len(want) {
		t.Errorf("got %d signers, want %d", len(p.Signers), len(want))
	}
	for name, w := range want {
		s := p.Signers[name]
		if s == nil || s.Notation == nil {
			t.Errorf("no notation signer %q", name)
			continue
		}
		n := s.Notation
		wantTSA := ""
		if w.tsa != "" {
			wantTSA = filepath.Join(storeDir, w.tsa)
		}
		if n.TrustStorePath != filepath.Join(storeDir, w.store) || n.TSATrustStorePath != wantTSA {
			t.Errorf("%s: trust stores %q, %q; want %q, %q", name, n.TrustStorePath,
				n.TSATrustStorePath, filepath.Join(storeDir, w.store), wantTSA)
		}
		if !slices.Equal(n.Identities, w.ids) || n.Level != w.level {
			t.Errorf("%s: identities %q, level %q; want %q, %q", name, n.Identities, n.Level,
				w.ids, w.level)
		}
	}
}

func checkImportedPolicies(t *testing.T, p *Policy, want []importedPolicy) {
	t.Helper()
	if len(p.Policies) != len(want) {
		t.Fatalf("got %d policies, want %d", len(p.Policies), len(want))
	}
	for i, w := range want {
		ip := p.Policies[i]
		var anyOf []string
		if ip.Signatures != nil {
			anyOf = ip.Signatures.AnyOf
			if ip.Signatures.AllOf != nil {
				t.Errorf("%s: allOf %q", ip.Name, ip.Signatures.AllOf)
			}
		}
		if ip.Name != w.name || !slices.Equal(ip.Scope, w.scope) || !slices.Equal(anyOf, w.anyOf) ||
			ip.SkipVerification != w.skip || ip.Attestations != nil {
			t.Errorf("policy %d: %s %q anyOf %q skip %v; want %s %q anyOf %q skip %v", i,
				ip.Name, ip.Scope, anyOf, ip.SkipVerification, w.name, w.scope, w.anyOf, w.skip)
		}
	}
}

// combinedStore builds a trust store directory from the corpus files:
// ca:e2e and ca:e2e-new with the two e2e certificates, tsa:e2e with a
// timestamping root.
func combinedStore(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	n := filepath.Join("testdata", "notation")
	copyFile(t, filepath.Join(n, "config-e2e/truststore/x509/ca/e2e/e2e.crt"),
		filepath.Join(dir, "x509/ca/e2e/e2e.crt"))
	copyFile(t, filepath.Join(n, "config-new_e2e/truststore/x509/ca/e2e/new_e2e.crt"),
		filepath.Join(dir, "x509/ca/e2e-new/new_e2e.crt"))
	copyFile(t, filepath.Join("testdata", tsaStore, "globalsignRoot.cer"),
		filepath.Join(dir, "x509/tsa/e2e/globalsignRoot.cer"))
	return dir
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestImportNotationErrors(t *testing.T) {
	dir := t.TempDir()
	authority := filepath.Join(dir, "authority.json")
	src := `{"version": "1.0", "trustPolicies": [{"name": "sa", "registryScopes": ["*"],
		"signatureVerification": {"level": "strict"},
		"trustStores": ["signingAuthority:e2e"], "trustedIdentities": ["*"]}]}`
	if err := os.WriteFile(authority, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	e2e := filepath.Join("testdata", "notation", "config-e2e", "truststore")
	for _, tc := range []struct {
		policy, store string
		unsupported   bool
		msg           string
	}{
		{notationPolicyFile("override_permissive_trustpolicy.json"), e2e, true,
			`notation trust policy "e2e": signatureVerification override gives integrity: ` +
				`enforce, authenticity: log, authenticTimestamp: enforce, expiry: enforce, ` +
				`revocation: enforce, which no vouch level`},
		{notationPolicyFile("timestamp_after_cert_expiry_trustpolicy.json"), e2e, true,
			`verifyTimestamp "afterCertExpiry": vouch has no such setting`},
		{authority, e2e, true, `trust store "signingAuthority:e2e": vouch notation signers ` +
			`trust CA and TSA trust stores only`},
		{notationPolicyFile("override_integrity_for_permissive_trustpolicy.json"), e2e, false,
			`"integrity" verification can not be overridden`},
		{notationPolicyFile("wildcard_plus_other_trusted_identity_trustpolicy.json"), e2e, false,
			`a wildcard identity cannot be used in conjunction with other values`},
		{notationPolicyFile("missing_state_trusted_identity_trustpolicy.json"), e2e, false,
			`has no mandatory RDN attribute for "ST"`},
		{notationPolicyFile("overlapped_trusted_identity_trustpolicy.json"), e2e, false,
			`has overlapping x509 trustedIdentities`},
		{notationPolicyFile("blob_trust_policy.json"), e2e, false, `unknown field "globalPolicy"`},
		{notationPolicyFile("invalid_trust_store_trustpolicy.json"), e2e, false,
			`notation trust policy "e2e": trust store "ca:invalid_store": stat `},
		{notationPolicyFile("timestamp_trustpolicy.json"), e2e, false,
			`trust store "tsa:e2e": stat `},
		{notationPolicyFile("trustpolicy.json"), filepath.Dir(e2e), false,
			`has no x509 directory; give `},
		{notationPolicyFile("none.json"), e2e, false, `reading notation trust policy: stat`},
	} {
		out, err := ImportNotation(tc.policy, tc.store)
		if err == nil {
			t.Errorf("%s: ImportNotation succeeded:\n%s", tc.policy, out)
			continue
		}
		if !strings.Contains(err.Error(), tc.msg) ||
			errors.Is(err, ErrNotationUnsupported) != tc.unsupported {
			t.Errorf("%s: error %q; want %q (unsupported: %v)", tc.policy, err, tc.msg,
				tc.unsupported)
		}
	}
}

// TestImportNotationScope checks that an imported policy applies to the
// reference the corpus checks used, as notation's did.
func TestImportNotationScope(t *testing.T) {
	file := notationPolicyFile("multi_statements_with_wildcard_registry_scope_trustpolicy.json")
	out, err := ImportNotation(file, filepath.Join("testdata", "notation", "config-e2e", "truststore"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse("imported.yaml", out)
	if err != nil {
		t.Fatal(err)
	}
	for repo, want := range map[string][]string{
		"localhost:5000/e2e":        {"e2e2"},
		"localhost:5000/test-repo9": {"e2e", "e2e2"},
	} {
		var got []string
		for _, ip := range p.Match(repo) {
			got = append(got, ip.Name)
		}
		if !slices.Equal(got, want) {
			t.Errorf("Match(%s) = %q, want %q", repo, got, want)
		}
	}
}
