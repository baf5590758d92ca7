package policy

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
)

// claimsPolicy is a policy with one GitHub Actions keyless signer whose
// claims mapping is claims, indented under the signer's keyless mapping,
// which starts on line 6.
func claimsPolicy(claims string) string {
	return fmt.Sprintf(`version: v1
signers:
  release:
    cosign:
      keyless:
        issuer: https://token.actions.githubusercontent.com
        subjectRegexp: https://github\.com/acme/app/\.github/workflows/release\.yml@refs/tags/.*
        trustedRoot: trusted_root.json
%spolicies:
- name: p
  scope: ['**']
  signatures: {anyOf: [release]}
`, claims)
}

func TestKeylessClaims(t *testing.T) {
	src := claimsPolicy(`        claims:
          sourceRepositoryURI: https://github.com/acme/app
          githubWorkflowTrigger: push
          sourceRepositoryRef: refs/tags/v1.0.0
          sourceRepositoryIdentifier: 123456
`)
	p, err := Parse(filepath.Join("testdata", "claims.yaml"), []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	k := p.Signers["release"].Cosign.Keyless
	want := certificate.Extensions{SourceRepositoryURI: "https://github.com/acme/app",
		GithubWorkflowTrigger: "push", SourceRepositoryRef: "refs/tags/v1.0.0",
		SourceRepositoryIdentifier: "123456"}
	if diff := cmp.Diff(want, k.Claims); diff != "" {
		t.Errorf("claims (-want +got):\n%s", diff)
	}
	wantList := []Claim{{"githubWorkflowTrigger", "push"},
		{"sourceRepositoryURI", "https://github.com/acme/app"},
		{"sourceRepositoryRef", "refs/tags/v1.0.0"}, {"sourceRepositoryIdentifier", "123456"}}
	if diff := cmp.Diff(wantList, k.ClaimList()); diff != "" {
		t.Errorf("claim list (-want +got):\n%s", diff)
	}
}

func TestKeylessClaimsRefused(t *testing.T) {
	tests := []struct {
		name, claims string
		want         string // the error, after the file name
	}{
		{"unknown claim", "        claims: {sourceRepository: acme/app}\n",
			`:9:18: unknown field "sourceRepository" in signer "release" cosign keyless claims; ` +
				"expected one of githubWorkflowTrigger, "},
		{"issuer", "        claims:\n          issuer: https://accounts.google.com\n",
			`:10:11: signer "release" cosign keyless claims cannot pin issuer: ` +
				"the signer's issuer says which it is"},
		{"list value", "        claims:\n          githubWorkflowTrigger: [push, release]\n",
			`:10:34: signer "release" cosign keyless claims githubWorkflowTrigger must be ` +
				"a string, not a list"},
		{"empty value", "        claims: {buildTrigger: ''}\n",
			`:9:32: signer "release" cosign keyless claims buildTrigger is empty`},
		{"empty mapping", "        claims: {}\n",
			`:9:17: signer "release" cosign keyless claims is empty; pin at least one claim`},
		{"not a mapping", "        claims: [sourceRepositoryURI]\n",
			`:9:17: signer "release" cosign keyless claims must be a mapping, not a list`},
		{"given twice", "        claims: {buildTrigger: push, buildTrigger: push}\n",
			`:9:38: field "buildTrigger" is given twice in signer "release" cosign keyless claims`},
		{"null value", "        claims: {sourceRepositoryURI: null}\n",
			`:9:39: signer "release" cosign keyless claims sourceRepositoryURI is null`},
		{"tilde value", "        claims: {sourceRepositoryURI: ~}\n",
			`:9:39: signer "release" cosign keyless claims sourceRepositoryURI is null`},
	}
	file := filepath.Join("testdata", "claims.yaml")
	// The claims an unknown key could have meant do not include issuer,
	// which is refused anyway.
	_, err := Parse(file, []byte(claimsPolicy("        claims: {bogus: x}\n")))
	if err == nil || strings.Contains(err.Error(), "issuer,") || strings.HasSuffix(err.Error(), "issuer") {
		t.Errorf("unknown claim: %v, want an error that does not offer issuer", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(file, []byte(claimsPolicy(tt.claims)))
			if err == nil {
				t.Fatal("parsed, want an error")
			}
			if !strings.Contains(err.Error(), file+tt.want) {
				t.Fatalf("error:\n%v\nwant it to contain\n%s%s", err, file, tt.want)
			}
		})
	}
}

func TestKeylessClaimsExplain(t *testing.T) {
	src := claimsPolicy("        claims: {sourceRepositoryURI: https://github.com/acme/app}\n")
	p, err := Parse(filepath.Join("testdata", "claims.yaml"), []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	e := p.Explain("reg.io/acme/app")
	want := []Claim{{Name: "sourceRepositoryURI", Value: "https://github.com/acme/app"}}
	if len(e.Signers) != 1 || !cmp.Equal(e.Signers[0].Claims, want) {
		t.Fatalf("signers %+v, want claims %v", e.Signers, want)
	}
}

func TestLintKeylessRepositoryUnpinned(t *testing.T) {
	tests := []struct {
		name, claims string
		warned       bool
	}{
		{"no claims", "", true},
		{"trigger only", "        claims: {githubWorkflowTrigger: push}\n", true},
		{"repository URI", "        claims: {sourceRepositoryURI: https://github.com/acme/app}\n", false},
		{"repository ID", "        claims: {sourceRepositoryIdentifier: '123456'}\n", false},
		{"workflow repository", "        claims: {githubWorkflowRepository: acme/app}\n", false},
	}
	file := filepath.Join("testdata", "claims.yaml")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []Finding
			for _, f := range Lint(file, []byte(claimsPolicy(tt.claims)), lintNow) {
				if f.Check == LintKeylessRepositoryUnpinned {
					got = append(got, f)
				}
			}
			if !tt.warned {
				if len(got) != 0 {
					t.Fatalf("warned: %v", got)
				}
				return
			}
			if len(got) != 1 || got[0].Level != FindingWarning || got[0].Pos.Line != 7 ||
				got[0].Pos.Column != 24 || !strings.Contains(got[0].Message,
				`keyless signer "release" trusts any GitHub Actions workflow whose identity `+
					`matches subjectRegexp`) {
				t.Fatalf("findings %v, want one warning at 7:24", got)
			}
		})
	}
}

func TestLintKeylessRepositoryUnpinnedExactSubject(t *testing.T) {
	src := strings.Replace(claimsPolicy(""), "subjectRegexp: https://github\\.com/acme/app/"+
		"\\.github/workflows/release\\.yml@refs/tags/.*",
		"subject: https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1.0.0", 1)
	for _, f := range Lint(filepath.Join("testdata", "claims.yaml"), []byte(src), lintNow) {
		if f.Check == LintKeylessRepositoryUnpinned || f.Level == FindingError {
			t.Errorf("finding for an exact subject: %v", f)
		}
	}
}
