package policy

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/github/go-spdx/v2/spdxexp/spdxlicenses"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestLoadRules loads a policy using every content rule and checks what
// each field became.
func TestLoadRules(t *testing.T) {
	file := filepath.Join("testdata", "rules.yaml")
	p, err := Load(file)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	until := time.Date(2027, 1, 31, 23, 59, 59, 999999999, time.UTC)
	content, counts := p.Policies[0], p.Policies[1]
	wantThreshold := &Threshold{Count: 2, Of: []string{"release", "ci"}, Pos: pos(file, 9, 18)}
	if diff := cmp.Diff(wantThreshold, content.Signatures.Threshold); diff != "" {
		t.Errorf("threshold differs (-want +got):\n%s", diff)
	}
	wantVuln := &VulnRules{
		MaxSeverity: SeverityHigh, HasMaxSeverity: true,
		MaxCount:  map[Severity]int{SeverityCritical: 0, SeverityHigh: 5, SeverityMedium: 20},
		FixedOnly: true,
		Waivers: []Waiver{
			{ID: "CVE-2019-1549", Package: "libssl1.1", Until: until, Reason: "not reachable",
				Pos: pos(file, 18, 15)},
			{ID: "CVE-2019-1549", Package: "libcrypto1.1", Until: until, Reason: "not reachable",
				Pos: pos(file, 19, 15)},
			{ID: "CVE-2019-1551", Until: until, Reason: "fix pending upstream",
				Pos: pos(file, 20, 15)},
		},
	}
	opts := []cmp.Option{
		cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
		cmpopts.IgnoreUnexported(DeniedPackage{}),
	}
	if diff := cmp.Diff(wantVuln, content.Attestations[0].Rules, opts...); diff != "" {
		t.Errorf("vuln rules differ (-want +got):\n%s", diff)
	}
	wantSBOM := &SBOMRules{
		Format: FormatSPDX, MinPackages: 10,
		DeniedPackages: []DeniedPackage{
			{Name: "log4j-core", Versions: ">=2.0.0-beta9 <2.17.1", Pos: pos(file, 27, 15)},
			{Name: "event-stream", Pos: pos(file, 28, 15)},
		},
		DeniedLicenses: []DeniedLicense{
			{Expression: "GPL-3.0-only", Pos: pos(file, 29, 28)},
			{Expression: "AGPL-3.0-or-later", Pos: pos(file, 29, 42)},
			{Expression: "SSPL-1.0 OR BUSL-1.1", Pos: pos(file, 29, 61)},
		},
	}
	if diff := cmp.Diff(wantSBOM, content.Attestations[1].SBOM, opts...); diff != "" {
		t.Errorf("sbom rules differ (-want +got):\n%s", diff)
	}
	if r := counts.Attestations[0].Rules; r.HasMaxSeverity || r.MaxCount[SeverityCritical] != 0 ||
		len(r.MaxCount) != 1 || len(r.Waivers) != 1 {
		t.Errorf("counts-only vuln rules = %+v", r)
	}
	if r := counts.Attestations[1].SBOM; r.Format != FormatCycloneDX || r.MinPackages != 1 {
		t.Errorf("counts-only sbom rules = %+v", r)
	}
}

// TestPredicateTypesFormat checks that format narrows type sbom and that
// type sbom with format spdx accepts exactly what type spdx does.
func TestPredicateTypesFormat(t *testing.T) {
	for _, tc := range []struct {
		typ, format string
		want        []string
	}{
		{TypeSBOM, "", []string{PredicateSPDX, PredicateCycloneDX}},
		{TypeSBOM, FormatEither, []string{PredicateSPDX, PredicateCycloneDX}},
		{TypeSBOM, FormatSPDX, []string{PredicateSPDX}},
		{TypeSBOM, FormatCycloneDX, []string{PredicateCycloneDX}},
		{TypeSPDX, FormatSPDX, []string{PredicateSPDX}},
		{TypeSPDX, "", []string{PredicateSPDX}},
		{TypeCycloneDX, FormatCycloneDX, []string{PredicateCycloneDX}},
	} {
		a := &AttestationRule{Type: tc.typ, SBOM: &SBOMRules{Format: tc.format}}
		if got := a.PredicateTypes(); !cmp.Equal(got, tc.want) {
			t.Errorf("type %s format %q: predicate types %v, want %v", tc.typ, tc.format, got,
				tc.want)
		}
	}
	spdx := (&AttestationRule{Type: TypeSPDX}).PredicateTypes()
	sbomSPDX := (&AttestationRule{Type: TypeSBOM,
		SBOM: &SBOMRules{Format: FormatSPDX}}).PredicateTypes()
	if !cmp.Equal(spdx, sbomSPDX) {
		t.Errorf("type sbom format spdx accepts %v, type spdx %v", sbomSPDX, spdx)
	}
}

// TestLicenseDenied checks the semantics of deniedLicenses: a package
// fails only when every way of satisfying its license takes a denied one.
func TestLicenseDenied(t *testing.T) {
	for _, tc := range []struct {
		denied []string
		expr   string
		want   bool
	}{
		{[]string{"GPL-3.0-only"}, "GPL-3.0-only", true},
		{[]string{"GPL-3.0-only"}, "MIT", false},
		{[]string{"GPL-3.0-only"}, "MIT OR GPL-3.0-only", false},
		{[]string{"GPL-3.0-only"}, "MIT AND GPL-3.0-only", true},
		{[]string{"GPL-3.0-only"}, "(MIT OR GPL-3.0-only) AND Apache-2.0", false},
		{[]string{"GPL-3.0-only", "MIT"}, "MIT OR GPL-3.0-only", true},
		// The deprecated id names the same license.
		{[]string{"GPL-3.0-only"}, "GPL-3.0", true},
		{[]string{"GPL-3.0"}, "GPL-3.0-only", true},
		// A range in the package's license can be taken at a version
		// that is not denied.
		{[]string{"GPL-3.0-only"}, "GPL-2.0-or-later", false},
		{[]string{"GPL-2.0-only"}, "GPL-2.0+", false},
		{[]string{"GPL-2.0-only", "GPL-3.0-only"}, "GPL-2.0-or-later", true},
		// A denied range denies each version it admits.
		{[]string{"GPL-2.0-or-later"}, "GPL-3.0-only", true},
		{[]string{"GPL-2.0-or-later"}, "GPL-2.0-only", true},
		{[]string{"GPL-3.0-or-later"}, "GPL-2.0-only", false},
		{[]string{"GPL-2.0-or-later"}, "LGPL-2.1-only", false},
		{[]string{"GPL-2.0-or-later"}, "GPL-2.0-or-later", true},
		// An OR entry denies both licenses.
		{[]string{"SSPL-1.0 OR BUSL-1.1"}, "BUSL-1.1", true},
		{[]string{"SSPL-1.0 OR BUSL-1.1"}, "MIT OR BUSL-1.1", false},
		// An exception makes another license.
		{[]string{"GPL-2.0-only"}, "GPL-2.0-only WITH Classpath-exception-2.0", false},
		{[]string{"GPL-2.0-only WITH Classpath-exception-2.0"},
			"GPL-2.0-only WITH Classpath-exception-2.0", true},
		{[]string{"GPL-2.0-only WITH Classpath-exception-2.0"},
			"GPL-2.0-or-later WITH Classpath-exception-2.0", false},
		// License references, as syft writes them.
		{[]string{"GPL-2.0-only"}, "MPL-2.0 AND LicenseRef-AND AND MIT", false},
		{[]string{"LicenseRef-AND"}, "MPL-2.0 AND LicenseRef-AND AND MIT", true},
		// Letter case of ids does not matter.
		{[]string{"gpl-3.0-only"}, "GPL-3.0-ONLY", true},
		// No license declared: nothing to deny.
		{[]string{"GPL-3.0-only"}, "", false},
		{[]string{"GPL-3.0-only"}, "NOASSERTION", false},
		{[]string{"GPL-3.0-only"}, "NONE", false},
	} {
		r := &SBOMRules{}
		for _, d := range tc.denied {
			if msg, err := deniedLicenseProblem(d); msg != "" {
				t.Fatalf("denied %q: %s: %v", d, msg, err)
			}
			r.DeniedLicenses = append(r.DeniedLicenses, DeniedLicense{Expression: d})
		}
		got, err := r.LicenseDenied(tc.expr)
		if err != nil || got != tc.want {
			t.Errorf("denied %v, license %q: LicenseDenied = %v, %v; want %v", tc.denied, tc.expr,
				got, err, tc.want)
		}
	}
}

// TestLicenseDeniedUnreadable checks that a license that is not an SPDX
// expression is an error, never a pass.
func TestLicenseDeniedUnreadable(t *testing.T) {
	r := &SBOMRules{DeniedLicenses: []DeniedLicense{{Expression: "GPL-3.0-only"}}}
	tooMany := "MIT" + strings.Repeat(" OR MIT", maxLicenseORs+1)
	for _, expr := range []string{"GPLv3+", "MIT AND", "MIT AND NOASSERTION", "GPL-2.0 with X",
		tooMany, strings.Repeat("MIT AND ", maxLicenseExpr/8) + "MIT", manyLicenses()} {
		if denied, err := r.LicenseDenied(expr); err == nil {
			t.Errorf("LicenseDenied(%q) = %v, nil; want an error", expr, denied)
		}
	}
}

// manyLicenses joins more distinct licenses with AND than vouch judges.
func manyLicenses() string {
	return strings.Join(spdxlicenses.GetLicenses()[:maxLicenses+1], " AND ")
}

// TestDeniedPackageMatches checks name and version range matching.
func TestDeniedPackageMatches(t *testing.T) {
	rng := DeniedPackage{Name: "log4j-core", Versions: ">=2.0.0 <2.17.1"}
	any := DeniedPackage{Name: "event-stream"}
	for _, tc := range []struct {
		p             DeniedPackage
		name, version string
		want, err     bool
	}{
		{rng, "log4j-core", "2.14.1", true, false},
		{rng, "Log4J-Core", "2.14.1", true, false},
		{rng, "log4j-core", "2.17.1", false, false},
		{rng, "log4j-core", "1.2.17", false, false},
		{rng, "log4j-core", "v2.0", true, false},
		{rng, "log4j-core", "2.15.0-rc1", true, false},
		{rng, "log4j-api", "2.14.1", false, false},
		{rng, "log4j-core", "", false, true},
		{rng, "log4j-core", "1:2.14.1-3.el8", false, true},
		{any, "event-stream", "", true, false},
		{any, "event-stream", "3.3.6", true, false},
		{any, "event-streams", "3.3.6", false, false},
		{DeniedPackage{Name: "x", Versions: "1.2.3 || >=2.0.0 <2.1.0"}, "x", "2.0.5", true, false},
		{DeniedPackage{Name: "x", Versions: "1.2.3 || >=2.0.0 <2.1.0"}, "x", "1.2.4", false, false},
	} {
		got, err := tc.p.Matches(tc.name, tc.version)
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("%+v.Matches(%q, %q) = %v, %v; want %v, error %v", tc.p, tc.name,
				tc.version, got, err, tc.want, tc.err)
		}
	}
}

// sbomPolicy returns a policies section, starting on line 5 after head,
// with an attestation of type typ whose rules are the given YAML on line
// 12 from column 7.
func sbomPolicy(typ, rules string) string {
	return "policies:\n- name: p\n  scope: [a/b]\n  attestations:\n  - type: " + typ +
		"\n    signedBy: [ci]\n    rules:\n      " + rules + "\n"
}

// sigPolicy returns a policies section, starting on line 5 after head,
// whose signatures are the given YAML on line 9 from column 5.
func sigPolicy(sig string) string {
	return "policies:\n- name: p\n  scope: [a/b]\n  signatures:\n    " + sig + "\n"
}

// ruleErrorCases are errorCases for the content rules and thresholds.
var ruleErrorCases = []struct {
	name      string
	src       string
	line, col int
	msg       string
}{
	// vuln rules
	{"maxCount unknown severity", head + vulnPolicyH("maxCount: {critical: 0, severe: 1}"),
		14, 31, `maxCount: unknown severity "severe"`},
	{"maxCount negative", head + vulnPolicyH("maxCount: {high: -1}"),
		14, 24, `maxCount high is -1; it must not be negative`},
	{"maxCount not a number", head + vulnPolicyH("maxCount: {high: five}"),
		14, 24, `maxCount high must be a whole number, not "five"`},
	{"maxCount fraction", head + vulnPolicyH("maxCount: {high: 1.5}"),
		14, 24, `maxCount high must be a whole number, not "1.5"`},
	{"maxCount severity twice", head + vulnPolicyH("maxCount: {high: 1, HIGH: 2}"),
		14, 27, `maxCount gives high twice (first at testdata/bad.yaml:14:18)`},
	{"maxCount not a mapping", head + vulnPolicyH("maxCount: 3"),
		14, 17, `maxCount must be a mapping, not a string`},
	{"maxCount empty", head + vulnPolicyH("maxCount: {}"),
		14, 17, `maxCount is empty`},
	{"fixedOnly not a boolean", head + vulnPolicyH("fixedOnly: 'true'"),
		14, 18, `fixedOnly must be true or false, not a string`},
	{"fixedOnly without a limit", head + "policies:\n- name: p\n  scope: [a/b]\n" +
		"  attestations:\n  - type: vuln\n    signedBy: [ci]\n    rules:\n      fixedOnly: true\n",
		12, 7, `fixedOnly has no effect without maxSeverity or maxCount`},
	{"waiver with empty package", head + vulnPolicyH("waivers: [{id: X, package: '', "+
		"until: 2027-01-01, reason: r}]"), 14, 34, `waiver package is empty`},
	{"waiver with blank reason", head + vulnPolicyH("waivers: [{id: X, until: 2027-01-01, "+
		"reason: '  '}]"), 14, 52, `waiver reason is blank`},
	{"waiver twice for one package", head + vulnPolicyH("waivers: [{id: X, package: p, "+
		"until: 2027-01-01, reason: r}, {id: x, package: p, until: 2027-01-01, reason: r}]"),
		14, 68, `waiver for x in p is given twice (first at testdata/bad.yaml:14:17)`},
	{"sbom rule on a vuln", head + vulnPolicyH("minPackages: 1"), 14, 7,
		`unknown field "minPackages" in vuln rules`},
	// sbom rules
	{"unknown format", head + sbomPolicy("sbom", "format: json"), 12, 15,
		`unknown SBOM format "json"; expected one of spdx, cyclonedx, either`},
	{"format contradicts type", head + sbomPolicy("spdx", "format: cyclonedx"), 12, 15,
		`format cyclonedx contradicts type spdx`},
	{"format either on cyclonedx", head + sbomPolicy("cyclonedx", "format: either"), 12, 15,
		`format either contradicts type cyclonedx`},
	{"minPackages negative", head + sbomPolicy("sbom", "minPackages: -3"), 12, 20,
		`minPackages is -3; it must not be negative`},
	{"minPackages zero", head + sbomPolicy("sbom", "minPackages: 0"), 12, 20,
		`minPackages 0 requires nothing`},
	{"minPackages not a number", head + sbomPolicy("sbom", "minPackages: many"), 12, 20,
		`minPackages must be a whole number, not "many"`},
	{"denied package without name", head + sbomPolicy("sbom",
		"deniedPackages: [{versions: '>=1.0.0'}]"), 12, 24,
		`denied package is missing required field "name"`},
	{"denied package bad range", head + sbomPolicy("sbom",
		"deniedPackages: [{name: x, versions: banana}]"), 12, 44,
		`versions "banana" is not a version range`},
	{"denied package range in words", head + sbomPolicy("sbom",
		"deniedPackages: [{name: x, versions: '>=1.2.0 and <2.0.0'}]"), 12, 44,
		`versions ">=1.2.0 and <2.0.0" is not a version range`},
	{"denied package unknown field", head + sbomPolicy("sbom",
		"deniedPackages: [{name: x, version: 1.0.0}]"), 12, 34,
		`unknown field "version" in denied package "x"; expected one of name, versions`},
	{"denied package twice", head + sbomPolicy("sbom",
		"deniedPackages: [{name: x}, {name: X, versions: '<1.0.0'}]"), 12, 35,
		`denied package "X" is given twice (first at testdata/bad.yaml:12:24)`},
	{"denied packages empty", head + sbomPolicy("sbom", "deniedPackages: []"), 12, 23,
		`deniedPackages is empty`},
	{"denied license not SPDX", head + sbomPolicy("sbom", "deniedLicenses: [MIT, GPLv3+]"),
		12, 29, `deniedLicenses entry "GPLv3+" is not an SPDX license expression`},
	{"denied license AND", head + sbomPolicy("sbom",
		"deniedLicenses: ['MIT AND GPL-3.0-only']"), 12, 24,
		`deniedLicenses entry "MIT AND GPL-3.0-only" is satisfied by no single license`},
	{"denied license lower-case with", head + sbomPolicy("sbom",
		"deniedLicenses: ['GPL-2.0-only with Classpath-exception-2.0']"), 12, 24,
		`is not an SPDX license expression`},
	{"denied license twice", head + sbomPolicy("sbom", "deniedLicenses: [MIT, mit]"),
		12, 29, `license "mit" is denied twice (first at testdata/bad.yaml:12:24)`},
	{"denied license too large", head + sbomPolicy("sbom", "deniedLicenses: ['MIT"+
		strings.Repeat(" OR MIT", maxLicenseORs+1)+"']"), 12, 24,
		`has 11 ORs, more than the 10 vouch judges`},
	{"denied license of too many licenses", head + sbomPolicy("sbom", "deniedLicenses: ['"+
		manyLicenses()+"']"), 12, 24, `names 65 licenses, more than the 64 vouch judges`},
	{"denied licenses not a list", head + sbomPolicy("sbom", "deniedLicenses: MIT"),
		12, 23, `deniedLicenses must be a list, not a string`},
	{"sbom rules empty", head + sbomPolicy("sbom", "{}"), 12, 7,
		`rules is empty; give format, minPackages, deniedPackages or deniedLicenses`},
	// signatures.threshold
	{"threshold count zero", head + sigPolicy("threshold: {count: 0, of: [ci, release]}"),
		9, 24, `threshold count 0 must be between 1 and 2`},
	{"threshold count above of", head + sigPolicy("threshold: {count: 3, of: [ci, release]}"),
		9, 24, `threshold count 3 must be between 1 and 2, the number of signers in of`},
	{"threshold count negative", head + sigPolicy("threshold: {count: -1, of: [ci]}"),
		9, 24, `threshold count is -1; it must not be negative`},
	{"threshold count not a number", head + sigPolicy("threshold: {count: two, of: [ci]}"),
		9, 24, `threshold count must be a whole number, not "two"`},
	{"threshold unknown signer", head + sigPolicy("threshold: {count: 1, of: [ci, nobody]}"),
		9, 36, `unknown signer "nobody" in threshold of; signers are: ci, release`},
	{"threshold signer twice", head + sigPolicy("threshold: {count: 2, of: [ci, ci]}"),
		9, 36, `signer "ci" is named twice in threshold of`},
	{"threshold without count", head + sigPolicy("threshold: {of: [ci]}"),
		9, 16, `threshold is missing required field "count"`},
	{"threshold without of", head + sigPolicy("threshold: {count: 1}"),
		9, 16, `threshold is missing required field "of"`},
	{"threshold with empty of", head + sigPolicy("threshold: {count: 1, of: []}"),
		9, 31, `threshold of is empty`},
	{"threshold unknown field", head + sigPolicy("threshold: {count: 1, of: [ci], anyOf: [ci]}"),
		9, 37, `unknown field "anyOf" in threshold; expected one of count, of`},
}

func TestParseRuleErrors(t *testing.T) {
	file := filepath.Join("testdata", "bad.yaml")
	for _, tc := range ruleErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			checkOneError(t, file, tc.src, tc.line, tc.col, tc.msg)
		})
	}
}
