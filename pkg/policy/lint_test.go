package policy

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// lintNow is the time the lint tests judge waivers at.
var lintNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// lintCases are policy files with what lint must find in each: every
// finding as "line:col level check", in order, and a fragment of each
// message.
var lintCases = []struct {
	name  string
	src   string
	want  []string
	texts []string
}{
	{"clean", head + `policies:
- name: prod
  scope: [registry.acme.io/prod/**]
  signatures: {anyOf: [release]}
  attestations:
  - {type: vuln, signedBy: [ci], maxAge: 24h, rules: {maxSeverity: high}}
`, nil, nil},
	{"overlapping scopes", head + `policies:
- name: prod
  scope: [registry.acme.io/prod/**]
  signatures: {anyOf: [release, ci]}
- name: apps
  scope: ['registry.acme.io/staging/**', '*/prod/app']
  signatures: {anyOf: [release]}
`, []string{"10:42 warning scope-overlap"}, []string{
		`scope "*/prod/app" of policy "apps" overlaps scope "registry.acme.io/prod/**" of ` +
			`policy "prod" (testdata/lint.yaml:7:11): both match registry.acme.io/prod/app, ` +
			`so an image there must pass both policies`}},
	{"overlap found through character classes", head + `policies:
- name: numbered
  scope: ['reg.io/app-[0-9]']
  signatures: {anyOf: [release, ci]}
- name: any-suffix
  scope: ['reg.io/app-*']
  signatures: {anyOf: [release]}
`, []string{"10:11 warning scope-overlap"}, []string{"both match reg.io/app-0,"}},
	{"overlap with everything", head + `policies:
- name: prod
  scope: [registry.acme.io/prod/**]
  signatures: {anyOf: [release, ci]}
- name: all
  scope: ['**']
  signatures: {anyOf: [release]}
`, []string{"10:11 warning scope-overlap"}, []string{"both match registry.acme.io/prod,"}},
	{"scopes that do not overlap", head + `policies:
- name: a
  scope: ['registry.acme.io/prod/**', '*/acme/app', 'reg.io/[a-c]*', 'reg.io/app/x/**']
  signatures: {anyOf: [release, ci]}
- name: b
  scope: ['registry.acme.io/staging/**', '*/acme/app-*', 'reg.io/[d-f]*', 'reg.io/*/y']
  signatures: {anyOf: [release]}
`, nil, nil},
	{"a scope no repository matches", head + `policies:
- name: hub
  scope: [library/alpine, reg.io/App, 'reg.io/app']
  signatures: {anyOf: [release, ci]}
`, []string{"7:11 warning scope-unmatchable", "7:27 warning scope-unmatchable"}, []string{
		`scope "library/alpine" of policy "hub" can match no repository`,
		`scope "reg.io/App" of policy "hub"`}},
	{"a scope given twice", head + `policies:
- name: hub
  scope: [docker.io/library/*, reg.io/app, index.docker.io/library/*]
  signatures: {anyOf: [release, ci]}
`, []string{"7:44 warning scope-duplicate"}, []string{
		`policy "hub" gives scope "index.docker.io/library/*" twice (first at testdata/lint.yaml:7:11)`}},
	{"unused signer", head + `policies:
- name: prod
  scope: [reg.io/app]
  signatures: {anyOf: [release]}
`, []string{"4:3 warning signer-unused"}, []string{`signer "ci" is not used by any policy`}},
	{"signers named twice", head + `policies:
- name: prod
  scope: [reg.io/app]
  signatures: {anyOf: [release, release], allOf: [ci, ci]}
  attestations:
  - {type: sbom, signedBy: [ci, release, ci]}
`, []string{"8:33 warning signer-repeated", "8:55 warning signer-repeated",
		"10:42 warning signer-repeated"}, []string{
		`policy "prod" names signer "release" twice in anyOf`,
		`policy "prod" names signer "ci" twice in allOf`,
		`policy "prod" names signer "ci" twice in signedBy`}},
	{"anyOf implied by allOf", head + `policies:
- name: prod
  scope: [reg.io/app]
  signatures:
    allOf: [release, ci]
    anyOf: [ci]
`, []string{"10:13 warning signer-repeated"}, []string{
		`policy "prod": anyOf names "ci", which allOf requires anyway`}},
	{"expired waiver", head + `policies:
- name: prod
  scope: [reg.io/app]
  signatures: {anyOf: [release]}
  attestations:
  - type: vuln
    signedBy: [ci]
    maxAge: 24h
    rules:
      maxSeverity: high
      waivers:
      - {id: CVE-2024-1, until: 2026-02-28, reason: not reachable}
      - {id: CVE-2024-2, until: '2026-03-01T12:00:00Z', reason: still holds}
      - {id: CVE-2024-3, package: libssl, until: '2026-03-01T11:59:59Z', reason: just gone}
      - {id: CVE-2024-4, until: 2026-03-01, reason: holds through the day}
`, []string{"16:9 warning waiver-expired", "18:9 warning waiver-expired"}, []string{
		`waiver for CVE-2024-1 expired at the end of 2026-02-28 (not reachable)`,
		`waiver for CVE-2024-3 in libssl expired at 2026-03-01T11:59:59Z (just gone)`}},
	{"vuln without maxAge or rules", head + `policies:
- name: prod
  scope: [reg.io/app]
  signatures: {anyOf: [release]}
  attestations:
  - {type: vuln, signedBy: [ci]}
`, []string{"10:5 warning vuln-no-max-age", "10:5 warning vuln-no-rules"}, []string{
		`policy "prod": the vuln attestation has no maxAge`,
		`policy "prod": the vuln attestation has no rules`}},
	{"skip verification", head + `policies:
- name: prod
  scope: [reg.io/app]
  signatures: {anyOf: [release, ci]}
- name: legacy
  scope: [reg.io/legacy/**]
  skipVerification: true
`, []string{"11:3 warning skip-verification"}, []string{
		`policy "legacy" skips verification: every image in its scope is admitted unchecked`}},
	{"notation levels and identities", `version: v1
signers:
  audited:
    notation:
      trustStore: notation/config-e2e/truststore/x509/ca/e2e
      identities: ["x509.subject: C=US, ST=WA, L=Seattle, O=Notary, CN=e2e"]
      level: audit
  skipped:
    notation:
      trustStore: notation/config-e2e/truststore/x509/ca/e2e
      identities: ["*"]
      level: skip
  anyone:
    notation: {trustStore: notation/config-e2e/truststore/x509/ca/e2e, identities: ['*']}
  permissive:
    notation:
      trustStore: notation/config-e2e/truststore/x509/ca/e2e
      identities: ["x509.subject: C=US, ST=WA, L=Seattle, O=Notary, CN=e2e"]
      level: permissive
policies:
- name: prod
  scope: [reg.io/app]
  signatures: {anyOf: [audited, skipped, anyone, permissive]}
`, []string{"7:14 warning notation-level", "11:20 warning notation-any-identity",
		"12:14 warning notation-level", "14:85 warning notation-any-identity"}, []string{
		`notation signer "audited" is at level audit`,
		`notation signer "skipped" trusts identity "*"`,
		`notation signer "skipped" is at level skip: any notation signature on the image counts`,
		`notation signer "anyone" trusts identity "*"`}},
	{"unanchored regexps, in a file the loader refuses", head + `  keyless:
    cosign:
      keyless:
        issuer: https://token.actions.githubusercontent.com
        subjectRegexp: https://github\.com/acme/app/
  starts:
    cosign: {keyless: {subjectRegexp: '^https://github\.com/acme/'}}
  anchored:
    cosign: {keyless: {subjectRegexp: '^(https://a\.example/x|https://b\.example/y)$'}}
  listed:
    cosign: {keyless: {issuerRegexp: ['^a$', 'b$', '(?m)^c$']}}
policies:
- name: prod
  scope: [reg.io/app]
  signatures: {anyOf: [release, ci]}
`, []string{"9:24 warning regexp-unanchored", "11:23 error invalid",
		"11:39 warning regexp-unanchored", "13:23 error invalid",
		"15:23 error invalid", "15:24 error invalid", "15:46 warning regexp-unanchored",
		"15:52 warning regexp-unanchored"}, []string{
		`subjectRegexp "https://github\\.com/acme/app/" is anchored at neither end`,
		`signer "starts" cosign keyless is missing required field "issuer"`,
		`subjectRegexp "^https://github\\.com/acme/" is not anchored at the end: end it with $ ` +
			`(.*$ if any ending is meant). vouch anchors it anyway`,
		`signer "anchored" cosign keyless is missing required field "issuer"`,
		`signer "listed" cosign keyless is missing required field "issuer"`,
		`unknown field "issuerRegexp" in signer "listed" cosign keyless`,
		`issuerRegexp "b$" is not anchored at the start`,
		`issuerRegexp "(?m)^c$" is anchored at neither end`}},
	{"loader errors, each at its place", head + `policies:
- name: prod
  scope: ['reg.io/app:1.0', reg.io/other]
  signatures: {anyOf: [release, nobody]}
  attestations:
  - {type: sbom, signedBy: [ci], maxAge: 30d}
`, []string{"7:11 error invalid", "8:33 error invalid", "10:42 error invalid"}, []string{
		`scope "reg.io/app:1.0" has a tag; a scope is registry/repository only`,
		`unknown signer "nobody" in anyOf; signers are: ci, release`,
		`maxAge "30d" is not a Go duration (such as 720h for 30 days): time: unknown unit "d"`}},
	{"YAML syntax error", "version: v1\nsigners: {\n", []string{"3:1 error invalid"},
		[]string{"invalid YAML"}},
}

func TestLint(t *testing.T) {
	file := filepath.Join("testdata", "lint.yaml")
	for _, tc := range lintCases {
		t.Run(tc.name, func(t *testing.T) {
			got := Lint(file, []byte(tc.src), lintNow)
			var short []string
			for _, f := range got {
				short = append(short, fmt.Sprintf("%d:%d %s %s", f.Pos.Line, f.Pos.Column, f.Level, f.Check))
				if f.Pos.File != file {
					t.Errorf("finding %v names file %q, want %q", f, f.Pos.File, file)
				}
			}
			if diff := cmp.Diff(tc.want, short); diff != "" {
				t.Fatalf("findings (-want +got):\n%s\nall:\n%s", diff, findingLines(got))
			}
			for i, text := range tc.texts {
				if !strings.Contains(got[i].Message, text) {
					t.Errorf("finding %d: %q lacks %q", i, got[i].Message, text)
				}
			}
		})
	}
}

func findingLines(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.String() + "\n")
	}
	return b.String()
}

// TestLintFile checks the file form and the finding format on a policy
// that loads, whose second waiver has expired by July 2026.
func TestLintFile(t *testing.T) {
	file := filepath.Join("testdata", "valid.yaml")
	got, err := LintFile(file, time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		file + `:20:15: warning: waiver for GHSA-xxxx-yyyy-zzzz expired at 2026-06-30T12:00:00+02:00 ` +
			`(fixed upstream, release pending): it no longer excuses the finding; renew or remove it`,
		file + `:24:13: warning: scope "registry.acme.io/prod/payments/*" of policy "two-person" ` +
			`overlaps scope "registry.acme.io/prod/**" of policy "production" (` + file + `:9:13): ` +
			`both match registry.acme.io/prod/payments/app, so an image there must pass both policies`,
		file + `:27:15: warning: policy "two-person": anyOf names "ci", which allOf requires ` +
			`anyway, so anyOf adds nothing; drop it, or list in allOf only the signers all of ` +
			`which must sign`,
		file + `:35:9: warning: policy "sbom-only": the vuln attestation has no maxAge, so a scan ` +
			`of any age passes; a scan says nothing about vulnerabilities found since`,
		file + `:35:9: warning: policy "sbom-only": the vuln attestation has no rules, so a scan ` +
			`passes whatever it found; give maxSeverity or maxCount`,
	}
	if diff := cmp.Diff(want, strings.Split(strings.TrimSuffix(findingLines(got), "\n"), "\n")); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if _, err := LintFile(filepath.Join("testdata", "none.yaml"), lintNow); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LintFile of a missing file: %v, want fs.ErrNotExist", err)
	}
}

// TestScopeWitness checks the search for a repository that scope globs
// share, on its own.
func TestScopeWitness(t *testing.T) {
	for _, tc := range []struct {
		globs []string
		want  string // "" for none
	}{
		{[]string{"**"}, "registry.example/app"},
		{[]string{"*/staging/app"}, "registry.example/staging/app"},
		{[]string{"registry.acme.io/**/app", "*/a/b/**"}, "registry.acme.io/a/b/app"},
		{[]string{"reg.io/*", "reg.io/*/*"}, ""},
		{[]string{"reg.io/**/x", "reg.io/**/y"}, ""},
		{[]string{"reg.io/a?c", "reg.io/[^b]b[^a]"}, "reg.io/abc"},
		{[]string{"reg.io/[!-.]"}, "reg.io/."},
		{[]string{"reg.io/\\*"}, ""},
		{[]string{"127.0.0.1:5000/*", "*/app"}, "127.0.0.1:5000/app"},
		{[]string{"localhost/app"}, ""},
	} {
		var globs []*scopeGlob
		for _, s := range tc.globs {
			g, err := compileScope(s)
			if err != nil {
				t.Fatalf("compileScope(%q): %v", s, err)
			}
			globs = append(globs, g)
		}
		got, ok := scopeWitness(globs...)
		if ok != (tc.want != "") || got != tc.want {
			t.Errorf("scopeWitness(%q) = %q, %v; want %q", tc.globs, got, ok, tc.want)
			continue
		}
		for _, g := range globs {
			if ok && !g.match(got) {
				t.Errorf("scopeWitness(%q) = %q, which %v does not match", tc.globs, got, g.segments)
			}
		}
	}
}

// TestLintExamples checks that every example policy shipped with vouch
// lints without errors, and logs its warnings for whoever edits them.
// The demo's trust-policy.yaml is left out: its keys are made by the demo.
func TestLintExamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "examples", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, file := range files {
		if filepath.Base(file) == "trust-policy.yaml" {
			continue
		}
		got, err := LintFile(file, lintNow)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range got {
			if f.Level == FindingError {
				t.Errorf("%v", f)
			} else {
				t.Logf("%v", f)
			}
		}
	}
}

// FuzzLint checks that no policy file makes lint panic, and that every
// finding has a position in the file and a message.
func FuzzLint(f *testing.F) {
	for _, tc := range lintCases {
		f.Add(tc.src)
	}
	f.Add(head + "policies:\n- {name: p, scope: ['[^a-]*/**/?*\\\\*', '**/**/*'], signatures: {anyOf: [ci]}}\n")
	f.Fuzz(func(t *testing.T, src string) {
		for _, fd := range Lint(filepath.Join("testdata", "fuzz.yaml"), []byte(src), lintNow) {
			if fd.Pos.Line < 1 || fd.Message == "" || fd.Check == "" {
				t.Errorf("finding without a place or a message: %#v", fd)
			}
		}
	})
}
