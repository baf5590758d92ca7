package policy

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

func TestLoadValid(t *testing.T) {
	p, err := Load(filepath.Join("testdata", "valid.yaml"))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	file := filepath.Join("testdata", "valid.yaml")
	if p.Version != "v1" || p.Path != file {
		t.Errorf("Version, Path = %q, %q; want v1, %q", p.Version, p.Path, file)
	}
	checkSigners(t, p)

	until1 := time.Date(2027, 1, 31, 23, 59, 59, 999999999, time.UTC)
	until2 := time.Date(2026, 6, 30, 10, 0, 0, 0, time.UTC)
	want := []*ImagePolicy{{
		Name:       "production",
		Scope:      []string{"registry.acme.io/prod/**", "*/staging/app"},
		Signatures: &SignatureRule{AnyOf: []string{"release-key"}, Pos: pos(file, 10, 17)},
		Attestations: []*AttestationRule{
			{Type: "sbom", SignedBy: []string{"ci"}, MaxAge: 720 * time.Hour,
				Pos: pos(file, 12, 9)},
			{Type: "vuln", SignedBy: []string{"ci"}, MaxAge: 168 * time.Hour,
				Pos: pos(file, 13, 9), Rules: &VulnRules{
					MaxSeverity: SeverityHigh, HasMaxSeverity: true,
					Waivers: []Waiver{
						{ID: "CVE-2024-0001", Reason: "not reachable", Until: until1,
							Pos: pos(file, 19, 15)},
						{ID: "GHSA-xxxx-yyyy-zzzz", Reason: "fixed upstream, release pending",
							Until: until2, Pos: pos(file, 20, 15)},
					},
				}},
		},
		Pos: pos(file, 8, 5),
	}, {
		Name:  "two-person",
		Scope: []string{"registry.acme.io/prod/payments/*"},
		Signatures: &SignatureRule{AllOf: []string{"release-key", "ci"},
			AnyOf: []string{"ci"}, Pos: pos(file, 26, 7)},
		Pos: pos(file, 23, 5),
	}, {
		Name:  "sbom-only",
		Scope: []string{"index.docker.io/library/*"},
		Attestations: []*AttestationRule{
			{Type: "spdx", SignedBy: []string{"ci", "release-key"}, Pos: pos(file, 31, 9)},
			{Type: "cyclonedx", SignedBy: []string{"ci"}, Pos: pos(file, 33, 9)},
			{Type: "vuln", SignedBy: []string{"ci"}, Pos: pos(file, 35, 9)},
		},
		Pos: pos(file, 28, 5),
	}}
	opts := []cmp.Option{
		cmpopts.IgnoreUnexported(ImagePolicy{}),
		cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
	}
	if diff := cmp.Diff(want, p.Policies, opts...); diff != "" {
		t.Errorf("policies differ (-want +got):\n%s", diff)
	}
}

func checkSigners(t *testing.T, p *Policy) {
	t.Helper()
	file := filepath.Join("testdata", "valid.yaml")
	for name, tc := range map[string]struct {
		keyPath string
		pos     Position
	}{
		"release-key": {"keys/containers-image.cosign.pub", pos(file, 3, 3)},
		"ci":          {"keys/containers-image.cosign2.pub", pos(file, 4, 3)},
	} {
		s := p.Signers[name]
		if s == nil {
			t.Fatalf("signer %q missing", name)
		}
		if s.Name != name || s.Pos != tc.pos || s.Kind() != "cosign" {
			t.Errorf("signer %q: Name, Pos, Kind = %q, %v, %q", name, s.Name, s.Pos, s.Kind())
		}
		if s.Cosign.KeyPath != tc.keyPath {
			t.Errorf("signer %q: KeyPath = %q, want %q", name, s.Cosign.KeyPath, tc.keyPath)
		}
		wantFile := filepath.Join("testdata", tc.keyPath)
		if s.Cosign.KeyFile != wantFile {
			t.Errorf("signer %q: KeyFile = %q, want %q", name, s.Cosign.KeyFile, wantFile)
		}
		pem, err := os.ReadFile(wantFile)
		if err != nil {
			t.Fatal(err)
		}
		want, err := cryptoutils.UnmarshalPEMToPublicKey(pem)
		if err != nil {
			t.Fatal(err)
		}
		if err := cryptoutils.EqualKeys(want, s.Cosign.PublicKey); err != nil {
			t.Errorf("signer %q: %v", name, err)
		}
	}
	if len(p.Signers) != 2 {
		t.Errorf("got %d signers, want 2", len(p.Signers))
	}
}

func pos(file string, line, col int) Position {
	return Position{File: file, Line: line, Column: col}
}

// TestGeneratedKeys loads keys of each accepted algorithm, written next to
// a policy in another directory, through relative and absolute paths.
func TestGeneratedKeys(t *testing.T) {
	dir := t.TempDir()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ed, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	writeKey(t, filepath.Join(dir, "keys", "ec.pub"), ec.Public())
	writeKey(t, filepath.Join(dir, "ed.pub"), ed)
	src := "version: v1\nsigners:\n" +
		"  ec: {cosign: {key: keys/ec.pub}}\n" +
		"  ed: {cosign: {key: " + filepath.Join(dir, "ed.pub") + "}}\n" +
		"policies:\n- {name: p, scope: ['**'], signatures: {allOf: [ec, ed]}}\n"
	path := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if err := cryptoutils.EqualKeys(ec.Public(), p.Signers["ec"].Cosign.PublicKey); err != nil {
		t.Errorf("ec key: %v", err)
	}
	if err := cryptoutils.EqualKeys(ed, p.Signers["ed"].Cosign.PublicKey); err != nil {
		t.Errorf("ed key: %v", err)
	}
}

func writeKey(t *testing.T, path string, pub any) {
	t.Helper()
	pem, err := cryptoutils.MarshalPublicKeyToPEM(pub)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join("testdata", "no-such-policy.yaml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load of a missing file: %v; want a not-exist error", err)
	}
	var perr *Error
	if errors.As(err, &perr) {
		t.Errorf("I/O error on the policy file is a *Error: %v", err)
	}
}

func TestPredicateTypes(t *testing.T) {
	for _, tc := range []struct {
		typ  string
		want []string
	}{
		{"sbom", []string{"https://spdx.dev/Document", "https://cyclonedx.org/bom"}},
		{"spdx", []string{"https://spdx.dev/Document"}},
		{"cyclonedx", []string{"https://cyclonedx.org/bom"}},
		{"vuln", []string{"https://cosign.sigstore.dev/attestation/vuln/v1"}},
		{"other", nil},
	} {
		a := &AttestationRule{Type: tc.typ}
		if got := a.PredicateTypes(); !slices.Equal(got, tc.want) {
			t.Errorf("%s: PredicateTypes() = %q, want %q", tc.typ, got, tc.want)
		}
	}
}

func TestSeverity(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Severity
	}{
		{"none", SeverityNone}, {"LOW", SeverityLow}, {"Medium", SeverityMedium},
		{"high", SeverityHigh}, {"CRITICAL", SeverityCritical},
	} {
		got, err := ParseSeverity(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseSeverity(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if got.String() != strings.ToLower(tc.in) {
			t.Errorf("%v.String() = %q, want %q", got, got.String(), strings.ToLower(tc.in))
		}
	}
	for _, bad := range []string{"", "negligible", "unknown", "moderate", "high "} {
		if _, err := ParseSeverity(bad); err == nil {
			t.Errorf("ParseSeverity(%q) succeeded", bad)
		}
	}
	order := []Severity{SeverityNone, SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}
	if !slices.IsSorted(order) || SeverityNone != 0 {
		t.Errorf("severities are not in increasing order from zero: %v", order)
	}
	if s := Severity(9).String(); s != "Severity(9)" {
		t.Errorf("Severity(9).String() = %q", s)
	}
}

func TestWaiver(t *testing.T) {
	src := `version: v1
signers: {ci: {cosign: {key: keys/containers-image.cosign.pub}}}
policies:
- name: p
  scope: ["**"]
  attestations:
  - type: vuln
    signedBy: [ci]
    rules:
      maxSeverity: none
      waivers:
      - {id: CVE-1, until: 2027-01-31, reason: r}
      - {id: CVE-2, until: "2027-01-31T10:00:00-05:00", reason: r}
      - {id: CVE-4, package: libssl1.1, until: 2027-01-31, reason: r}
`
	p, err := Parse(filepath.Join("testdata", "waiver.yaml"), []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	rules := p.Policies[0].Attestations[0].Rules
	for _, tc := range []struct {
		id, pkg string
		at      string
		want    bool
	}{
		{"CVE-1", "bash", "2027-01-31T23:59:59.999999999Z", true},
		{"cve-1", "", "2027-01-31T12:00:00Z", true},
		{"CVE-1", "bash", "2027-02-01T00:00:00Z", false},
		{"CVE-1", "bash", "2027-01-31T23:30:00-01:00", false},
		{"CVE-2", "bash", "2027-01-31T15:00:00Z", true},
		{"CVE-2", "bash", "2027-01-31T15:00:00.000000001Z", false},
		{"CVE-3", "bash", "2020-01-01T00:00:00Z", false},
		{"CVE-4", "libssl1.1", "2027-01-31T12:00:00Z", true},
		{"CVE-4", "libcrypto1.1", "2027-01-31T12:00:00Z", false},
		{"CVE-4", "LIBSSL1.1", "2027-01-31T12:00:00Z", false},
		{"CVE-4", "", "2027-01-31T12:00:00Z", false},
	} {
		at, err := time.Parse(time.RFC3339Nano, tc.at)
		if err != nil {
			t.Fatal(err)
		}
		if got := rules.Waiver(tc.id, tc.pkg, at) != nil; got != tc.want {
			t.Errorf("Waiver(%s, %q, %s) active = %v, want %v", tc.id, tc.pkg, tc.at, got, tc.want)
		}
	}
	if rules.MaxSeverity != SeverityNone || !rules.HasMaxSeverity {
		t.Errorf("MaxSeverity = %v, %v; want none, true", rules.MaxSeverity, rules.HasMaxSeverity)
	}
}
