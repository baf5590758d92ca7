package verify_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/vouchsec/vouch/attest"
	"github.com/vouchsec/vouch/pkg/policy"
	"github.com/vouchsec/vouch/verify"
)

// finding is one vulnerability of a fake Trivy report.
type finding struct {
	id, sev, pkg, fixed string
}

// scanAt is a vuln attestation by ci over a Trivy report with the given
// findings, scanned at t (no scan time when t is zero).
func scanAt(t testing.TB, at time.Time, fs ...finding) verify.Evidence {
	t.Helper()
	var vulns []map[string]string
	for _, f := range fs {
		vulns = append(vulns, map[string]string{"VulnerabilityID": f.id, "PkgName": f.pkg,
			"InstalledVersion": "1.0", "FixedVersion": f.fixed, "Severity": f.sev})
	}
	r := map[string]any{
		"SchemaVersion": 2, "ArtifactName": "app", "ArtifactType": "container_image",
		"Results": []any{map[string]any{"Target": "app", "Vulnerabilities": vulns}},
	}
	if !at.IsZero() {
		r["CreatedAt"] = at.Format(time.RFC3339)
	}
	report, _ := json.Marshal(r)
	return scanReport(t, report)
}

// scanReport is a vuln attestation by ci over a scan report.
func scanReport(t testing.TB, report []byte) verify.Evidence {
	t.Helper()
	scan, err := attest.ParseScan(report)
	if err != nil {
		t.Fatal(err)
	}
	pred, err := scan.Predicate()
	if err != nil {
		t.Fatal(err)
	}
	return statement(t, attest.PredicateVuln, pred)
}

// sbomDoc is an SBOM attestation by ci with the given predicate type.
func sbomDoc(t testing.TB, predicateType string, doc []byte) verify.Evidence {
	t.Helper()
	if _, err := attest.ParseSBOM(doc); err != nil {
		t.Fatal(err)
	}
	return statement(t, predicateType, doc)
}

func statement(t testing.TB, predicateType string, pred []byte) verify.Evidence {
	t.Helper()
	h, _ := v1.NewHash(digest.DigestStr())
	st, err := attest.Statement(digest.Context().Name(), h, predicateType, pred)
	if err != nil {
		t.Fatal(err)
	}
	return &fake{kind: verify.KindAttestation, by: []string{"ci"}, st: st}
}

func testdata(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile("../testdata/" + p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// attestationPolicy is a policy requiring one attestation, given as the
// YAML of its entry in the attestations list.
func attestationPolicy(entry string) string {
	return `  - name: p
    scope: ["*/staging/**"]
    attestations:
      - ` + strings.ReplaceAll(strings.TrimSpace(entry), "\n", "\n        ") + "\n"
}

type contentCase struct {
	name   string
	entry  string
	ev     backend
	pass   bool
	reason string
	// waived, when set, must be among the check's waived findings.
	waived string
}

func runContent(t *testing.T, tests []contentCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := check(t, attestationPolicy(tc.entry), tc.ev)
			c := r.Policies[0].Checks[0]
			if r.Passed() != tc.pass {
				t.Fatalf("passed = %v, want %v: %s", r.Passed(), tc.pass, c.Reason)
			}
			if !strings.Contains(c.Reason, tc.reason) {
				t.Errorf("reason %q lacks %q", c.Reason, tc.reason)
			}
			if tc.waived != "" && !strings.Contains(strings.Join(c.Waived, "\n"), tc.waived) {
				t.Errorf("waived %q lacks %q", c.Waived, tc.waived)
			}
			if tc.waived == "" && len(c.Waived) > 0 {
				t.Errorf("waived %q, want none", c.Waived)
			}
		})
	}
}

// vulnEntry is a vuln attestation requirement with the given rules.
func vulnEntry(rules string) string {
	return "type: vuln\nsignedBy: [ci]\nrules: " + rules
}

func TestVulnContentRules(t *testing.T) {
	hour := now.Add(-time.Hour)
	crit := finding{"CVE-C", "CRITICAL", "libc", "2.0"}
	critDev := finding{"CVE-C", "CRITICAL", "libc-dev", "2.0"}
	critUnfixed := finding{"CVE-U", "CRITICAL", "libz", ""}
	high := func(id, pkg string) finding { return finding{id, "HIGH", pkg, "1.1"} }
	scan := func(fs ...finding) backend { return backend{scanAt(t, hour, fs...)} }
	counts := vulnEntry("{maxCount: {critical: 0, high: 2}}")
	countsFixed := vulnEntry("{maxCount: {critical: 0, high: 2}, fixedOnly: true}")
	fixedOnly := vulnEntry("{maxSeverity: high, fixedOnly: true}")
	waived := func(until string) string {
		return vulnEntry("{maxSeverity: high, waivers: [{id: CVE-C, package: libc, until: " +
			until + ", reason: r}]}")
	}
	runContent(t, []contentCase{
		{"maxCount met", counts,
			scan(high("CVE-1", "a"), high("CVE-2", "b"), finding{"CVE-3", "MEDIUM", "c", ""}),
			true, "attestation signed by ci", ""},
		{"maxCount high exceeded", counts,
			scan(high("CVE-1", "a"), high("CVE-2", "b"), high("CVE-3", "c")), false,
			"maxCount high 2: 3 high finding(s): CVE-1 (high, a 1.0, fixed in 1.1)", ""},
		{"maxCount critical 0 exceeded", counts, scan(crit), false,
			"maxCount critical 0: 1 critical finding(s): CVE-C (critical, libc 1.0", ""},
		{"maxCount counts unknown as critical", counts, scan(finding{"CVE-Q", "", "q", ""}),
			false, "maxCount critical 0: 1 critical", ""},
		{"maxCount counts a repeated finding once", counts,
			scan(high("CVE-1", "a"), high("CVE-1", "a"), high("CVE-2", "b")), true, "", ""},
		{"maxCount counts each package", counts,
			scan(high("CVE-1", "a"), high("CVE-1", "b"), high("CVE-1", "c")), false,
			"maxCount high 2: 3 high", ""},
		{"maxCount with a waiver", vulnEntry("{maxCount: {critical: 0}, waivers: " +
			"[{id: CVE-C, until: 2026-12-31, reason: not reachable}]}"), scan(crit), true,
			"1 finding(s) waived",
			"CVE-C (critical, libc 1.0, fixed in 2.0) until 2026-12-31: not reachable"},
		{"maxCount and maxSeverity both named",
			vulnEntry("{maxSeverity: medium, maxCount: {high: 0}}"), scan(high("CVE-1", "a")),
			false, "maxSeverity medium: 1 finding(s) above it: " +
				"CVE-1 (high, a 1.0, fixed in 1.1); maxCount high 0: 1 high finding(s)", ""},
		{"fixedOnly skips unfixed for maxSeverity", fixedOnly, scan(critUnfixed), true,
			"1 finding(s) without a fixed version not counted (fixedOnly)", ""},
		{"fixedOnly still counts fixed for maxSeverity", fixedOnly, scan(critUnfixed, crit),
			false, "maxSeverity high: 1 finding(s) above it: " +
				"CVE-C (critical, libc 1.0, fixed in 2.0)", ""},
		{"without fixedOnly unfixed counts", vulnEntry("{maxSeverity: high}"), scan(critUnfixed),
			false, "maxSeverity high: 1 finding(s) above it: CVE-U (critical, libz 1.0)", ""},
		{"fixedOnly for maxCount", countsFixed, scan(critUnfixed, high("CVE-1", "a")), true,
			"1 finding(s) without a fixed version", ""},
		{"fixedOnly for maxCount still counts fixed", countsFixed, scan(critUnfixed, crit), false,
			"maxCount critical 0: 1 critical finding(s): CVE-C", ""},
		{"package waiver covers its package", waived("2026-12-31"), scan(crit), true,
			"1 finding(s) waived", "CVE-C (critical, libc 1.0"},
		{"package waiver leaves other packages", waived("2026-12-31"), scan(crit, critDev), false,
			"maxSeverity high: 1 finding(s) above it: CVE-C (critical, libc-dev 1.0",
			"CVE-C (critical, libc 1.0"},
		{"package waiver expired", waived("2026-01-01"), scan(crit), false,
			"(waiver expired 2026-01-01)", ""},
		{"unreadable report fails maxCount", counts, backend{statement(t, attest.PredicateVuln,
			testdata(t, "scan/cosign-vuln.predicate.json"))}, false,
			"maxCount: the vulnerability predicate holds no Trivy, Grype or SARIF report", ""},
	})
}

// TestVulnRealReports runs the rules on the testdata scan reports of each
// format.
func TestVulnRealReports(t *testing.T) {
	trivy := scanReport(t, testdata(t, "scan/critical.trivy.json"))
	grype := scanReport(t, testdata(t, "scan/grype.presenter.image.json"))
	sarif := scanReport(t, testdata(t, "scan/trivy.alpine-310.sarif.json"))
	rules := vulnEntry
	runContent(t, []contentCase{
		{"trivy critical fixed", rules("{maxSeverity: high, fixedOnly: true}"), backend{trivy},
			false, "CVE-2019-18224 (critical, libidn2-0 2.0.5-1, fixed in 2.0.5-1+deb10u1)", ""},
		{"grype critical unfixed", rules("{maxSeverity: high, fixedOnly: true}"), backend{grype},
			true, "1 finding(s) without a fixed version", ""},
		{"grype low count", rules("{maxCount: {low: 0}}"), backend{grype}, false,
			"maxCount low 0: 1 low finding(s): CVE-1999-0001 (low, package-1 1.1.1", ""},
		{"sarif medium count", rules("{maxCount: {medium: 3}}"), backend{sarif}, false,
			"maxCount medium 3: 4 medium finding(s)", ""},
		{"sarif package waivers", rules(`
  maxCount: {medium: 2}
  waivers:
    - {id: CVE-2019-1549, package: libssl1.1, until: 2026-12-31, reason: r}
    - {id: CVE-2019-1551, package: libssl1.1, until: 2026-12-31, reason: r}`),
			backend{sarif}, true, "2 finding(s) waived",
			"CVE-2019-1549 (medium, libssl1.1 1.1.1c-r0"},
	})
}

// signedAt is evidence that verifies with ci and proves a signing time.
type signedAt struct {
	verify.Evidence
	at time.Time
}

func (s signedAt) Verify(ctx context.Context, d v1.Hash,
	sg *policy.Signer) (*verify.Verified, error) {
	v, err := s.Evidence.Verify(ctx, d, sg)
	if err == nil {
		v.SignedAt = s.at
	}
	return v, err
}

// TestMaxAgeFallback checks that a scan report with no scan time is aged
// by its proven signing time, and fails when it has none.
func TestMaxAgeFallback(t *testing.T) {
	const entry = "type: vuln\nsignedBy: [ci]\nmaxAge: 24h\nrules: {maxSeverity: high}"
	untimed := scanAt(t, time.Time{})
	runContent(t, []contentCase{
		{"scan time decides over signing time", entry,
			backend{signedAt{scanAt(t, now.Add(-48*time.Hour)), now}}, false,
			"maxAge: the attestation is 48h0m0s old", ""},
		{"signed recently", entry, backend{signedAt{untimed, now.Add(-time.Hour)}}, true,
			"created " + now.Add(-time.Hour).Format(time.RFC3339), ""},
		{"signed too long ago", entry, backend{signedAt{untimed, now.Add(-25 * time.Hour)}}, false,
			"maxAge: the attestation is 25h0m0s old (created " +
				now.Add(-25*time.Hour).Format(time.RFC3339) + "), more than maxAge 24h0m0s", ""},
		{"no time at all", entry, backend{untimed}, false,
			"maxAge: the attestation carries no trusted creation time", ""},
	})
}

// cdx is a small CycloneDX document listing the given components.
func cdx(t testing.TB, components ...map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"bomFormat": "CycloneDX", "specVersion": "1.6",
		"version": 1, "components": components})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func component(name, version, license string) map[string]any {
	c := map[string]any{"type": "library", "name": name, "version": version}
	if license != "" {
		c["licenses"] = []any{map[string]any{"expression": license}}
	}
	return c
}

func TestSBOMContentRules(t *testing.T) {
	doc := func(predicateType, file string) backend {
		return backend{sbomDoc(t, predicateType, testdata(t, "sbom/"+file))}
	}
	spdx := doc(attest.PredicateSPDX, "sample.spdx.json")
	npm := doc(attest.PredicateCycloneDX, "trivy.npm-cyclonedx.json")
	centos := doc(attest.PredicateCycloneDX, "trivy.centos-7-cyclonedx.json")
	centosSPDX := doc(attest.PredicateSPDX, "trivy.centos-7-spdx.json")
	dual := backend{sbomDoc(t, attest.PredicateCycloneDX,
		cdx(t, component("dual", "1.0.0", "MIT OR GPL-3.0-only")))}
	mixed := backend{sbomDoc(t, attest.PredicateCycloneDX, cdx(t,
		component("dual", "1.0.0", "MIT OR GPL-3.0-only"),
		component("copyleft", "2.0.0", "GPL-3.0-or-later"),
		component("later", "3.0.0", "GPL-2.0-or-later"),
		component("unlicensed", "1.0.0", "")))}
	// A CycloneDX document stored under the SPDX predicate type.
	mislabelled := backend{statement(t, attest.PredicateSPDX,
		testdata(t, "sbom/trivy.npm-cyclonedx.json"))}
	sbom := func(rules string) string { return "type: sbom\nsignedBy: [ci]\nrules: " + rules }
	typed := func(typ, rules string) string {
		return "type: " + typ + "\nsignedBy: [ci]\nrules: " + rules
	}
	const mislabelledReason = "format spdx: the https://spdx.dev/Document predicate holds " +
		"a cyclonedx document"
	runContent(t, []contentCase{
		{"format spdx met", sbom("{format: spdx}"), spdx, true, "16 package(s)", ""},
		{"format spdx refuses cyclonedx", sbom("{format: spdx}"), npm, false,
			"no sbom attestation in format spdx (found predicate types: " +
				"https://cyclonedx.org/bom)", ""},
		{"format cyclonedx refuses spdx", sbom("{format: cyclonedx}"), spdx, false,
			"no sbom attestation in format cyclonedx (found predicate types: " +
				"https://spdx.dev/Document)", ""},
		{"format either", sbom("{format: either, minPackages: 1}"), npm, true, "", ""},
		{"type sbom format spdx picks spdx", sbom("{format: spdx}"), append(npm, spdx...), true,
			"https://spdx.dev/Document attestation", ""},
		{"format checks the document", sbom("{format: spdx}"), mislabelled, false,
			mislabelledReason, ""},
		{"type spdx checks the document", typed("spdx", "{minPackages: 1}"), mislabelled, false,
			mislabelledReason, ""},
		{"minPackages met", typed("spdx", "{minPackages: 16}"), spdx, true, "", ""},
		{"minPackages unmet", typed("spdx", "{minPackages: 17}"), spdx, false,
			"minPackages 17: the SBOM lists 16 package(s)", ""},
		{"deniedPackages absent", sbom("{deniedPackages: [{name: log4j-core}]}"), spdx, true,
			"", ""},
		{"deniedPackages any version", sbom("{deniedPackages: [{name: jquery}]}"), npm, false,
			"deniedPackages: the SBOM lists 1 denied package(s): " +
				"jquery 3.3.9 (denied: jquery, every version)", ""},
		{"deniedPackages in range",
			sbom(`{deniedPackages: [{name: jquery, versions: ">=3.0.0 <3.4.0"}]}`), npm, false,
			"jquery 3.3.9 (denied: jquery >=3.0.0 <3.4.0)", ""},
		{"deniedPackages out of range",
			sbom(`{deniedPackages: [{name: jquery, versions: ">=3.4.0"}]}`), npm, true, "", ""},
		{"deniedPackages pre-release revision",
			sbom(`{deniedPackages: [{name: zlib, versions: ">=1.2.0 <1.2.13"}]}`), spdx, false,
			"zlib 1.2.13-r0 (denied: zlib >=1.2.0 <1.2.13)", ""},
		{"deniedPackages version not semver",
			sbom(`{deniedPackages: [{name: openssl-libs, versions: "<1.1.0"}]}`), centosSPDX,
			false, `deniedPackages: 1 package(s) may be denied: ` +
				`version "1:1.0.2k-19.el7" of openssl-libs is not a semantic version`, ""},
		{"deniedLicenses met", sbom("{deniedLicenses: [GPL-3.0-only, AGPL-3.0-only]}"), spdx,
			true, "", ""},
		{"deniedLicenses hit", sbom("{deniedLicenses: [GPL-2.0-only]}"), spdx, false,
			"deniedLicenses [GPL-2.0-only]: 7 package(s) can be used only under a denied " +
				"license: alpine-baselayout 3.4.0-r0 (GPL-2.0-only)", ""},
		{"deniedLicenses OR passes", sbom("{deniedLicenses: [GPL-3.0-only]}"), dual, true, "", ""},
		{"deniedLicenses range and OR", sbom("{deniedLicenses: [GPL-3.0-only]}"), mixed, false,
			"1 package(s) can be used only under a denied license: " +
				"copyleft 2.0.0 (GPL-3.0-or-later)", ""},
		{"deniedLicenses denied range", sbom("{deniedLicenses: [GPL-2.0-or-later]}"), mixed,
			false, "2 package(s) can be used only under a denied license: " +
				"copyleft 2.0.0 (GPL-3.0-or-later); later 3.0.0 (GPL-2.0-or-later)", ""},
		{"deniedLicenses unreadable license", sbom("{deniedLicenses: [AGPL-3.0-only]}"), centos,
			false, `deniedLicenses: 1 package(s) have a license that cannot be judged: ` +
				`bash 4.2.46-31.el7: license "GPLv3+" is not an SPDX license expression`, ""},
		{"deniedLicenses MIT", sbom("{deniedLicenses: [MIT]}"), npm, false,
			"deniedLicenses [MIT]: 5 package(s)", ""},
		{"every failing rule is named",
			sbom("{minPackages: 20, deniedPackages: [{name: redux}], deniedLicenses: [MIT]}"),
			npm, false, "minPackages 20: the SBOM lists 13 package(s); " +
				"deniedPackages: the SBOM lists 1 denied package(s): " +
				"redux 4.0.1 (denied: redux, every version); deniedLicenses [MIT]", ""},
	})
}

// TestThreshold checks signatures.threshold, counting signers of either
// backend alike.
func TestThreshold(t *testing.T) {
	src := `version: v1
signers:
  release: {cosign: {key: ` + keyPath + `}}
  ci: {cosign: {key: ` + keyPath + `}}
  notary:
    notation:
      trustStore: ../pkg/policy/testdata/notation/config-e2e/truststore/x509/ca/e2e
      identities: ["*"]
policies:
  - name: p
    scope: ["*/staging/**"]
    signatures:
      threshold: {count: 2, of: [release, ci, notary]}
`
	p, err := policy.Parse("trust.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	cosignSigs := func(by ...string) []verify.Backend {
		var b backend
		for _, n := range by {
			b = append(b, sig(n))
		}
		return []verify.Backend{named{"cosign", b}}
	}
	notationSig := named{"notation", backend{sig("notary")}}
	tests := []struct {
		name     string
		backends []verify.Backend
		pass     bool
		reason   string
	}{
		{"two cosign", cosignSigs("release", "ci"), true,
			"signed by 2 of [release, ci, notary], threshold 2: release, ci"},
		{"cosign and notation", append(cosignSigs("ci"), notationSig), true,
			"signed by 2 of [release, ci, notary], threshold 2: ci, notary"},
		{"all three", append(cosignSigs("release", "ci"), notationSig), true, "signed by 3 of"},
		{"one signer twice", cosignSigs("release", "release"), false,
			"threshold 2 of [release, ci, notary]: only 1 signed (release)"},
		{"one notation", []verify.Backend{notationSig}, false,
			"threshold 2 of [release, ci, notary]: only 1 signed (notary): 1 signature(s) found"},
		{"none", cosignSigs(), false, "threshold 2 of [release, ci, notary]: " +
			"none of them signed: the image has no signatures"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := verify.Digest(context.Background(), digest,
				verify.Options{Policy: p, Backends: tc.backends, Now: now})
			c := r.Policies[0].Checks[0]
			if c.Requirement != "signatures.threshold" || r.Passed() != tc.pass {
				t.Fatalf("%s passed = %v, want %v: %s", c.Requirement, r.Passed(), tc.pass,
					c.Reason)
			}
			if !strings.Contains(c.Reason, tc.reason) {
				t.Errorf("reason %q lacks %q", c.Reason, tc.reason)
			}
		})
	}
}

// named is a backend of fake evidence under another name.
type named struct {
	name string
	b    backend
}

func (n named) Name() string { return n.name }
func (n named) Discover(ctx context.Context, d name.Digest) ([]verify.Evidence, error) {
	return n.b.Discover(ctx, d)
}
