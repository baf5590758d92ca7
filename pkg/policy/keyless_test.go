package policy

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/root"
)

func TestKeylessSigner(t *testing.T) {
	src := `version: v1
signers:
  ci:
    cosign:
      keyless:
        issuer: https://token.actions.githubusercontent.com
        subjectRegexp: https://github\.com/acme/app/\.github/workflows/.+
        trustedRoot: trusted_root.json
  human:
    cosign:
      keyless:
        issuer: https://github.com/login/oauth
        subject: mitr@redhat.com
        trustedRoot: trusted_root_tsa.json
        requireTlog: false
        requireTimestamp: true
policies:
- name: p
  scope: ['**']
  signatures: {anyOf: [ci, human]}
`
	file := filepath.Join("testdata", "keyless.yaml")
	p, err := Parse(file, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	ci := p.Signers["ci"].Cosign.Keyless
	if ci == nil || p.Signers["ci"].Cosign.PublicKey != nil {
		t.Fatalf("ci: %+v, want a keyless signer without a key", p.Signers["ci"].Cosign)
	}
	if !ci.RequireTlog || ci.RequireTimestamp {
		t.Errorf("ci: requireTlog %v requireTimestamp %v, want the defaults true, false",
			ci.RequireTlog, ci.RequireTimestamp)
	}
	wantRE := `^(?:https://github\.com/acme/app/\.github/workflows/.+)$`
	if ci.Subject != "" || ci.AnchoredSubjectRegexp() != wantRE {
		t.Errorf("ci: subject %q, anchored regexp %q, want %q", ci.Subject,
			ci.AnchoredSubjectRegexp(), wantRE)
	}
	if want := filepath.Join("testdata", "trusted_root.json"); ci.TrustedRootFile != want ||
		ci.TrustedRoot == nil || len(ci.TrustedRoot.RekorLogs()) != 1 {
		t.Errorf("ci: trusted root %q (%v), want %q with one Rekor log",
			ci.TrustedRootFile, ci.TrustedRoot, want)
	}
	if got := ci.Pos.String(); got != file+":5:7" {
		t.Errorf("ci: position %s, want %s:5:7", got, file)
	}
	h := p.Signers["human"].Cosign.Keyless
	if h.Issuer != "https://github.com/login/oauth" || h.Subject != "mitr@redhat.com" ||
		h.AnchoredSubjectRegexp() != "" || h.RequireTlog || !h.RequireTimestamp {
		t.Errorf("human: %+v", h)
	}
	if e := p.Explain("reg.io/app"); len(e.Signers) != 2 || e.Signers[0].Issuer == "" ||
		e.Signers[0].TrustedRoot != "trusted_root.json" {
		t.Errorf("explain: %+v", e.Signers)
	}
}

// TestKeylessPublicRoot checks that a keyless signer without trustedRoot
// loads with no root, asks for the public instance's, and takes the one
// given, leaving signers with their own root alone.
func TestKeylessPublicRoot(t *testing.T) {
	src := `version: v1
signers:
  public:
    cosign: {keyless: {issuer: https://github.com/login/oauth, subject: a@example.com}}
  private:
    cosign:
      keyless: {issuer: https://github.com/login/oauth, subject: a@example.com,
                trustedRoot: trusted_root.json}
policies:
- name: p
  scope: ['**']
  signatures: {anyOf: [public, private]}
`
	p, err := Parse(filepath.Join("testdata", "public.yaml"), []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	pub, priv := p.Signers["public"].Cosign.Keyless, p.Signers["private"].Cosign.Keyless
	if pub.TrustedRoot != nil || pub.TrustedRootPath != "" || !p.NeedsPublicRoot() {
		t.Fatalf("public: root %v path %q, needs public root %v; want none, none, true",
			pub.TrustedRoot, pub.TrustedRootPath, p.NeedsPublicRoot())
	}
	own := priv.TrustedRoot
	other := &root.TrustedRoot{}
	p.UsePublicRoot(other)
	if pub.TrustedRoot != other || !pub.PublicRoot || p.NeedsPublicRoot() {
		t.Errorf("public: after UsePublicRoot root %p public %v, want %p true", pub.TrustedRoot,
			pub.PublicRoot, other)
	}
	if priv.TrustedRoot != own || priv.PublicRoot {
		t.Errorf("private: UsePublicRoot replaced the signer's own root")
	}
}

// TestKeylessRootCovers checks that a trusted root under which no
// signature of the signer could verify is refused where the file names it.
func TestKeylessRootCovers(t *testing.T) {
	src := `version: v1
signers:
  s:
    cosign:
      keyless: {issuer: https://github.com/login/oauth, subject: a@example.com,
                trustedRoot: trusted_root.json, requireTimestamp: true}
policies:
- name: p
  scope: ['**']
  signatures: {anyOf: [s]}
`
	_, err := Parse(filepath.Join("testdata", "covers.yaml"), []byte(src))
	want := `testdata/covers.yaml:6:30: signer "s" cosign keyless trustedRoot trusted_root.json ` +
		`lists no timestamp authority`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want %q", err, want)
	}
}
