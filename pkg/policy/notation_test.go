package policy

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// Trust stores under testdata, as a policy in testdata names them.
const (
	e2eStore   = "notation/config-e2e/truststore/x509/ca/e2e"
	validStore = "notation/notation-go-config/truststore/x509/ca/valid-trust-store"
	tsaStore   = "notation/notation-go-config/truststore/x509/tsa/test-timestamp"
)

func TestLoadNotation(t *testing.T) {
	file := filepath.Join("testdata", "notation-valid.yaml")
	p, err := Load(file)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	notary := p.Signers["notary"]
	if notary.Kind() != "notation" || notary.Pos != pos(file, 4, 3) {
		t.Errorf("notary: Kind, Pos = %q, %v", notary.Kind(), notary.Pos)
	}
	n := notary.Notation
	if n.TrustStorePath != e2eStore || n.TrustStoreFile != filepath.Join("testdata", e2eStore) {
		t.Errorf("notary trust store path, file = %q, %q", n.TrustStorePath, n.TrustStoreFile)
	}
	if len(n.TrustStore) != 1 || n.TrustStore[0].Subject.CommonName != "e2e" {
		t.Errorf("notary trust store = %v, want the e2e certificate", subjects(n.TrustStore))
	}
	wantIDs := []string{"x509.subject: C=US, ST=WA, L=Seattle, O=Notary, CN=e2e"}
	if !slices.Equal(n.Identities, wantIDs) || n.Level != LevelStrict {
		t.Errorf("notary identities, level = %q, %q", n.Identities, n.Level)
	}
	if n.TSATrustStorePath != "" || n.TSATrustStore != nil {
		t.Errorf("notary has a TSA trust store: %q", n.TSATrustStorePath)
	}
	roots := p.Signers["notary-roots"].Notation
	if len(roots.TrustStore) != 1 || roots.TrustStore[0].Subject.CommonName != "GlobalSign" {
		t.Errorf("DER trust store = %v", subjects(roots.TrustStore))
	}
	tsaFile := filepath.Join("testdata", tsaStore)
	if len(roots.TSATrustStore) != 1 || roots.TSATrustStoreFile != tsaFile {
		t.Errorf("TSA trust store %q = %v", roots.TSATrustStoreFile, subjects(roots.TSATrustStore))
	}
	if !slices.Equal(roots.Identities, []string{AnyIdentity}) || roots.Level != LevelPermissive {
		t.Errorf("notary-roots identities, level = %q, %q", roots.Identities, roots.Level)
	}
	if p.Signers["release-key"].Kind() != "cosign" {
		t.Errorf("release-key is not a cosign signer")
	}
	checkNotationPolicies(t, p)
}

func checkNotationPolicies(t *testing.T, p *Policy) {
	t.Helper()
	if len(p.Policies) != 3 {
		t.Fatalf("got %d policies, want 3", len(p.Policies))
	}
	either, both, legacy := p.Policies[0], p.Policies[1], p.Policies[2]
	if !slices.Equal(either.Signatures.AnyOf, []string{"release-key", "notary"}) {
		t.Errorf("either: anyOf = %q", either.Signatures.AnyOf)
	}
	if !slices.Equal(both.Signatures.AllOf, []string{"notary", "release-key"}) ||
		!slices.Equal(both.Attestations[0].SignedBy, []string{"notary-roots", "release-key"}) {
		t.Errorf("both: allOf = %q, signedBy = %q", both.Signatures.AllOf,
			both.Attestations[0].SignedBy)
	}
	if !legacy.SkipVerification || legacy.Signatures != nil || legacy.Attestations != nil {
		t.Errorf("legacy: %+v, want only SkipVerification", legacy)
	}
	if either.SkipVerification || both.SkipVerification {
		t.Errorf("policies that require signatures skip verification")
	}
}

func subjects(certs []*x509.Certificate) []string {
	var out []string
	for _, c := range certs {
		out = append(out, c.Subject.String())
	}
	return out
}

// notationErrorCase is a policy whose signer "x", on line 5, is a notation
// signer with the given fields. The one problem is on line 5 at the first
// occurrence of at.
type notationErrorCase struct {
	name, fields, at, msg string
}

func (tc notationErrorCase) line() string {
	return "  x: {notation: {" + tc.fields + "}}\n"
}

func (tc notationErrorCase) src() string {
	return head + tc.line() + "policies: [{name: p, scope: ['**'], signatures: {anyOf: [x, ci]}}]\n"
}

const (
	okStore = "trustStore: " + e2eStore
	anyID   = ", identities: ['*']"
)

var notationErrorCases = []notationErrorCase{
	{"missing identities", okStore, "{trust",
		`signer "x" notation is missing required field "identities"`},
	{"missing trust store", "identities: ['*']", "{iden",
		`signer "x" notation is missing required field "trustStore"`},
	{"empty identities", okStore + ", identities: []", "[]", `identities is empty`},
	{"identities not a list", okStore + ", identities: '*'", "'*'", `identities must be a list`},
	{"unknown field", okStore + anyID + ", trustPolicy: x", "trustPolicy",
		`unknown field "trustPolicy" in signer "x" notation; expected one of trustStore, ` +
			`tsaTrustStore, identities, level`},
	{"unknown level", okStore + anyID + ", level: enforce", "enforce",
		`unknown notation level "enforce"; expected one of strict, permissive, audit, skip`},
	{"wildcard with others", okStore + ", identities: ['x509.subject: C=US, ST=WA, O=acme', '*']",
		"'*'", `signer "x": identity "*" trusts any certificate and cannot be combined`},
	{"identity without state", okStore + ", identities: ['x509.subject: C=US, O=acme, CN=r']",
		"'x509", `has no mandatory RDN attribute for "ST"`},
	{"identity without prefix", okStore + ", identities: ['C=US, ST=WA, O=acme']", "'C=",
		`identity "C=US, ST=WA, O=acme": want "x509.subject: <distinguished name>" or "*"`},
	{"other identity kind", okStore + ", identities: ['x509.san: a@b']", "'x509",
		`want "x509.subject: <distinguished name>"`},
	{"empty distinguished name", okStore + ", identities: ['x509.subject: ']", "'x509",
		`the distinguished name is empty`},
	{"unparseable distinguished name", okStore + ", identities: ['x509.subject: C=US, ST=WA, O']",
		"'x509", `parsing distinguished name (DN)`},
	{"multi-valued RDN", okStore + ", identities: ['x509.subject: C=US+ST=WA, O=acme']", "'x509",
		`multi-valued RDN`},
	{"duplicate attribute", okStore + ", identities: ['x509.subject: C=US, C=DE, ST=WA, O=a']",
		"'x509", `duplicate RDN attribute for "C"`},
	{"overlapping identities", okStore + ", identities: ['x509.subject: C=US, ST=WA, O=a', " +
		"'x509.subject: C=US, ST=WA, O=a, CN=r']", "'x509.subject: C=US, ST=WA, O=a, CN",
		`identity "x509.subject: C=US, ST=WA, O=a, CN=r" overlaps with "x509.subject: C=US, ST=WA, O=a"`},
	{"missing trust store file", "trustStore: notation/none" + anyID, "notation/none",
		`signer "x": trustStore notation/none: stat testdata/notation/none: no such file`},
	{"public key as trust store", "trustStore: keys/containers-image.cosign.pub" + anyID, "keys/",
		`found a PEM PUBLIC KEY block; want certificates only`},
	{"garbage trust store", "trustStore: valid.yaml" + anyID, "valid.yaml",
		`parsing testdata/valid.yaml: x509: malformed certificate`},
	{"trust store with a subdirectory", "trustStore: notation/config-e2e/truststore/x509/ca" + anyID,
		"notation/", `is not a regular file; a trust store directory holds certificate files only`},
	{"leaf in TSA trust store", okStore + ", tsaTrustStore: " + e2eStore + anyID,
		e2eStore + ", iden",
		`is not a root CA certificate`},
	{"trust store not a string", "trustStore: [a]" + anyID, "[a]",
		`trustStore must be a string, not a list`},
	{"empty level", okStore + anyID + ", level: ''", "''", `notation level is empty`},
}

func TestParseNotationErrors(t *testing.T) {
	file := filepath.Join("testdata", "bad.yaml")
	for _, tc := range notationErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			col := strings.Index(tc.line(), tc.at) + 1
			if col == 0 {
				t.Fatalf("%q is not on the signer's line", tc.at)
			}
			checkOneError(t, file, tc.src(), 5, col, tc.msg)
		})
	}
}

// TestNotationTrustStores loads trust stores written by the test: PEM
// bundles, an empty directory, and certificates notation refuses.
func TestNotationTrustStores(t *testing.T) {
	dir := t.TempDir()
	ca, caKey := newTestCA(t, "Test Root")
	leaf := newTestLeaf(t, ca, caKey)
	self, _ := newTestCA(t, "Other Root")
	writePEM(t, filepath.Join(dir, "bundle.pem"), ca, self)
	writePEM(t, filepath.Join(dir, "leaf", "leaf.pem"), leaf)
	writePEM(t, filepath.Join(dir, "mixed", "ca.pem"), ca)
	writePEM(t, filepath.Join(dir, "mixed", "leaf.pem"), leaf)
	if err := os.Mkdir(filepath.Join(dir, "empty"), 0o700); err != nil {
		t.Fatal(err)
	}
	truncated := append(pemBytes(ca), "-----BEGIN CERTIFICATE-----\nMIIB"...)
	if err := os.WriteFile(filepath.Join(dir, "truncated.pem"), truncated, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		store string
		count int
		msg   string
	}{
		{"bundle.pem", 2, ""},
		{"empty", 0, "trust store directory " + filepath.Join(dir, "empty") + " holds no certificates"},
		{"leaf", 0, `is not a CA certificate or self-signed signing certificate`},
		{"mixed", 0, `is not a CA certificate or self-signed signing certificate`},
		{"truncated.pem", 0, `trailing data after the last PEM block`},
	} {
		src := "version: v1\nsigners:\n  n:\n    notation:\n      trustStore: " + tc.store +
			"\n      identities: ['*']\npolicies: [{name: p, scope: ['**'], signatures: {anyOf: [n]}}]\n"
		p, err := Parse(filepath.Join(dir, "policy.yaml"), []byte(src))
		if tc.msg == "" {
			if err != nil || len(p.Signers["n"].Notation.TrustStore) != tc.count {
				t.Errorf("%s: Parse: %v; want %d certificates", tc.store, err, tc.count)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.msg) ||
			!strings.Contains(err.Error(), "policy.yaml:5:19: ") {
			t.Errorf("%s: Parse error %v; want one at 5:19 with %q", tc.store, err, tc.msg)
		}
	}
}

// TestEmptySigners checks that a file whose policies all skip
// verification needs no signers, and that other files still do.
func TestEmptySigners(t *testing.T) {
	src := "version: v1\nsigners: {}\npolicies:\n- {name: p, scope: ['**'], skipVerification: true}\n"
	p, err := Parse("skip.yaml", []byte(src))
	if err != nil || !p.Policies[0].SkipVerification || len(p.Signers) != 0 {
		t.Fatalf("Parse: %v; want one skipping policy and no signers", err)
	}
	for _, tc := range []struct{ src, msg string }{
		{strings.Replace(src, "skipVerification: true", "skipVerification: false", 1),
			`skip.yaml:2:10: signers is empty`},
		{strings.Replace(src, "true", "yes", 1), `skip.yaml:4:46: skipVerification must be ` +
			`true or false, not a string`},
		{strings.Replace(src, "true}", "true, signatures: {anyOf: [x]}}", 1),
			`skip.yaml:4:28: policy "p": skipVerification: true cannot be combined`},
	} {
		if _, err := Parse("skip.yaml", []byte(tc.src)); err == nil ||
			!strings.Contains(err.Error(), tc.msg) {
			t.Errorf("Parse(%q) = %v; want %q", tc.src, err, tc.msg)
		}
	}
}

// newTestCA makes a self-signed CA certificate with a new P-256 key.
func newTestCA(t *testing.T, cn string) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	tmpl := &x509.Certificate{
		Subject: pkix.Name{Country: []string{"US"}, Province: []string{"WA"},
			Organization: []string{"Example"}, CommonName: cn},
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLen:            1,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	return newTestCert(t, tmpl, nil, nil)
}

// newTestLeaf makes a code-signing certificate issued by ca.
func newTestLeaf(t *testing.T, ca *x509.Certificate, caKey *ecdsa.PrivateKey) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		Subject: pkix.Name{Country: []string{"US"}, Province: []string{"WA"},
			Organization: []string{"Example"}, CommonName: "release"},
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
	}
	c, _ := newTestCert(t, tmpl, ca, caKey)
	return c
}

// newTestCert signs tmpl with parentKey, or self-signs it when parent is
// nil, for a new key valid for twenty years from now.
func newTestCert(t *testing.T, tmpl, parent *x509.Certificate,
	parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		t.Fatal(err)
	}
	tmpl.SerialNumber = serial
	tmpl.NotBefore = time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	tmpl.NotAfter = tmpl.NotBefore.AddDate(20, 0, 0)
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c, key
}

func pemBytes(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

func writePEM(t *testing.T, file string, certs ...*x509.Certificate) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, pemBytes(certs...), 0o600); err != nil {
		t.Fatal(err)
	}
}
