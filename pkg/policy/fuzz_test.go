package policy

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// FuzzParse checks that no input makes Parse panic, that every error is a
// positioned *Error, and that what loads keeps the invariants Load
// promises.
func FuzzParse(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, tc := range errorCases {
		f.Add([]byte(tc.src))
	}
	for _, tc := range notationErrorCases {
		f.Add([]byte(tc.src()))
	}
	for _, tc := range ruleErrorCases {
		f.Add([]byte(tc.src))
	}
	for _, tc := range imageErrorCases {
		f.Add([]byte(tc.src))
	}
	for _, rules := range []string{
		vulnPolicyH("maxCount: {critical: 0, high: 3}\n      fixedOnly: true"),
		vulnPolicyH("waivers: [{id: X, package: p, until: 2027-01-01, reason: r}]"),
		sbomPolicy("sbom", "{format: cyclonedx, minPackages: 2}"),
		sbomPolicy("spdx", "deniedPackages: [{name: x, versions: '>=1.0.0 <1.2.0 || 2.0.0'}]"),
		sbomPolicy("sbom", "deniedLicenses: [GPL-3.0-or-later, 'SSPL-1.0 OR BUSL-1.1', "+
			"'GPL-2.0-only WITH Classpath-exception-2.0', LicenseRef-x]"),
		sigPolicy("threshold: {count: 2, of: [ci, release]}\n    anyOf: [ci]"),
		imagePolicy("{nonRoot: true, maxLayers: 3, requiredLabels: {a: '', b: x}}"),
		imagePolicy("allowedBaseImages: ['docker.io/library/alpine:3.*', 'gcr.io/**', " +
			"'reg/app@sha256:" + strings.Repeat("0", 64) + "']"),
		imagePolicy(`deniedEnv: ['*_TOKEN', 'DEBUG=[!0]*', 'A\*B', '[]x]', '*=*PRIVATE KEY*']`),
		regoPolicy("rego/labels.rego", "rego/labels.rego"),
	} {
		f.Add([]byte(head + rules))
	}
	file := filepath.Join("testdata", "fuzz.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(file, data)
		if err != nil {
			checkFuzzError(t, err, file)
			return
		}
		checkLoaded(t, p)
	})
}

func checkFuzzError(t *testing.T, err error, file string) {
	var perr *Error
	if !errors.As(err, &perr) {
		t.Fatalf("error is not a *Error: %T %v", err, err)
	}
	if perr.Pos.File != file || perr.Pos.Line < 1 || perr.Pos.Column < 1 {
		t.Fatalf("error without a full position: %v", err)
	}
	if perr.Msg == "" {
		t.Fatalf("error without a message at %v", perr.Pos)
	}
}

func checkLoaded(t *testing.T, p *Policy) {
	if p.Version != Version || len(p.Signers) == 0 || len(p.Policies) == 0 {
		t.Fatalf("loaded policy breaks invariants: %+v", p)
	}
	for _, s := range p.Signers {
		checkLoadedSigner(t, s)
	}
	for _, ip := range p.Policies {
		if ip.Name == "" || len(ip.Scope) == 0 || len(ip.globs) != len(ip.Scope) {
			t.Fatalf("policy breaks invariants: %+v", ip)
		}
		requires := ip.Signatures != nil || len(ip.Attestations) > 0
		if requires == ip.SkipVerification {
			t.Fatalf("policy %q: requires something = %v, skips verification = %v",
				ip.Name, requires, ip.SkipVerification)
		}
		var refs []string
		if ip.Signatures != nil {
			refs = append(append(refs, ip.Signatures.AnyOf...), ip.Signatures.AllOf...)
			refs = append(refs, checkLoadedThreshold(t, ip.Signatures.Threshold)...)
		}
		checkLoadedImageRules(t, ip.Image)
		checkLoadedRego(t, ip.Rego)
		for _, a := range ip.Attestations {
			if len(a.PredicateTypes()) == 0 || len(a.SignedBy) == 0 || a.MaxAge < 0 {
				t.Fatalf("attestation rule breaks invariants: %+v", a)
			}
			checkLoadedRego(t, a.Rego)
			checkLoadedVulnRules(t, a)
			checkLoadedSBOMRules(t, a)
			refs = append(refs, a.SignedBy...)
		}
		for _, r := range refs {
			if p.Signers[r] == nil {
				t.Fatalf("policy %q refers to unknown signer %q", ip.Name, r)
			}
		}
	}
}

// checkLoadedThreshold checks a loaded threshold and returns the signers
// it names.
func checkLoadedThreshold(t *testing.T, th *Threshold) []string {
	if th == nil {
		return nil
	}
	if th.Count < 1 || th.Count > len(th.Of) {
		t.Fatalf("threshold count %d of %d signers", th.Count, len(th.Of))
	}
	for i, n := range th.Of {
		if slices.Contains(th.Of[:i], n) {
			t.Fatalf("threshold names %q twice", n)
		}
	}
	return th.Of
}

func checkLoadedVulnRules(t *testing.T, a *AttestationRule) {
	r := a.Rules
	if r == nil {
		return
	}
	if a.Type != TypeVuln {
		t.Fatalf("vuln rules on a %s attestation", a.Type)
	}
	if !r.HasMaxSeverity && len(r.MaxCount) == 0 && (r.FixedOnly || len(r.Waivers) > 0) {
		t.Fatalf("vuln rules without a limit: %+v", r)
	}
	for sev, c := range r.MaxCount {
		if c < 0 || sev < SeverityNone || sev > SeverityCritical {
			t.Fatalf("maxCount %v: %d", sev, c)
		}
	}
	for _, w := range r.Waivers {
		if w.ID == "" || strings.TrimSpace(w.Reason) == "" || w.Until.IsZero() {
			t.Fatalf("waiver breaks invariants: %+v", w)
		}
	}
}

func checkLoadedSBOMRules(t *testing.T, a *AttestationRule) {
	r := a.SBOM
	if r == nil {
		return
	}
	if a.Type == TypeVuln {
		t.Fatalf("sbom rules on a vuln attestation")
	}
	if r.MinPackages < 0 {
		t.Fatalf("minPackages %d", r.MinPackages)
	}
	for _, p := range r.DeniedPackages {
		if p.Name == "" || (p.Versions != "") != (p.versions != nil) {
			t.Fatalf("denied package breaks invariants: %+v", p)
		}
	}
	for _, l := range r.DeniedLicenses {
		if msg, err := deniedLicenseProblem(l.Expression); msg != "" {
			t.Fatalf("denied license %q loaded: %s: %v", l.Expression, msg, err)
		}
	}
}

func checkLoadedImageRules(t *testing.T, r *ImageRules) {
	if r == nil {
		return
	}
	if !r.requires() || r.MaxLayers < 0 {
		t.Fatalf("image rules break invariants: %+v", r)
	}
	for _, l := range r.RequiredLabels {
		if l.Name == "" {
			t.Fatalf("required label without a name: %+v", l)
		}
	}
	for _, p := range r.AllowedBaseImages {
		if p.repo == nil {
			t.Fatalf("base image pattern %q not compiled", p.Pattern)
		}
		// Matching never panics, whatever the reference.
		_, _ = p.Matches(p.Pattern, "")
	}
	for _, p := range r.DeniedEnv {
		if p.name == nil || p.Matches("") && !strings.Contains(p.Pattern, "*") &&
			!strings.Contains(p.Pattern, "=") {
			t.Fatalf("env pattern %q breaks invariants", p.Pattern)
		}
	}
}

func checkLoadedRego(t *testing.T, r *RegoRule) {
	if r != nil && (r.query == nil || r.Path == "" || r.Pos.Line < 1) {
		t.Fatalf("rego rule breaks invariants: %+v", r)
	}
}

func checkLoadedSigner(t *testing.T, s *Signer) {
	switch {
	case s.Cosign != nil && s.Notation != nil:
		t.Fatalf("signer %q has two kinds", s.Name)
	case s.Cosign != nil && s.Cosign.Keyless != nil:
		k := s.Cosign.Keyless
		if k.Issuer == "" || (k.Subject == "") == (k.SubjectRegexp == "") ||
			(k.TrustedRoot == nil) != (k.TrustedRootPath == "") {
			t.Fatalf("keyless signer %q breaks invariants: %+v", s.Name, k)
		}
	case s.Cosign != nil:
		if s.Cosign.PublicKey == nil {
			t.Fatalf("signer %q has no key", s.Name)
		}
	case s.Notation != nil:
		n := s.Notation
		if len(n.TrustStore) == 0 || len(n.Identities) == 0 || n.Level == "" ||
			(n.TSATrustStorePath != "") != (len(n.TSATrustStore) > 0) {
			t.Fatalf("notation signer %q breaks invariants: %+v", s.Name, n)
		}
	default:
		t.Fatalf("signer %q has no kind", s.Name)
	}
}

// FuzzScope checks that scope globs never panic and that a scope without
// glob characters matches only itself.
func FuzzScope(f *testing.F) {
	for _, s := range [][2]string{
		{"registry.acme.io/prod/**", "registry.acme.io/prod/app"},
		{"*/staging/app", "127.0.0.1:5000/staging/app"},
		{"reg/**/x/**/y", "reg/a/x/b/y"},
		{"reg/app-[0-9]", "reg/app-1"},
		{"reg/app", "reg/app"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, scope, repo string) {
		g, err := compileScope(scope)
		if err != nil {
			return
		}
		got := g.match(repo)
		literal := !strings.ContainsAny(scope, `*?[\`) &&
			!strings.HasPrefix(scope, dockerHubAlias+"/") && scope != dockerHubAlias
		if literal && got != (scope == repo) {
			t.Fatalf("literal scope %q matching %q = %v", scope, repo, got)
		}
	})
}
