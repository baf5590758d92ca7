package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/vouchsec/vouch/internal/testreg"
)

// TestContentRules attests real scan reports and SBOMs from testdata to an
// image in a real registry and verifies them against each content rule:
// every rule passes on evidence that meets it and fails, with a reason
// naming it, on evidence that does not.
func TestContentRules(t *testing.T) {
	vuln := func(rules string) string {
		return "{type: vuln, signedBy: [ci], rules: " + rules + "}"
	}
	sbom := func(typ, rules string) string {
		return "{type: " + typ + ", signedBy: [ci], rules: " + rules + "}"
	}
	const (
		clean    = "scan/clean.trivy.json"
		critical = "scan/critical.trivy.json"
		grype    = "scan/grype.presenter.image.json"
		sarif    = "scan/trivy.alpine-310.sarif.json"
		spdx     = "sbom/sample.spdx.json"
		npm      = "sbom/trivy.npm-cyclonedx.json"
		centos   = "sbom/trivy.centos-7-cyclonedx.json"
	)
	tests := []struct {
		name string
		// kind is "--scan" or "--sbom", file its testdata file.
		kind, file string
		// entry is the YAML of the attestation requirement.
		entry string
		pass  bool
		want  []string
	}{
		{"maxCount met", "--scan", clean, vuln("{maxCount: {critical: 0, medium: 4}}"), true, nil},
		{"maxCount exceeded", "--scan", clean, vuln("{maxCount: {medium: 3}}"), false,
			[]string{"attestations[0] vuln", "maxCount medium 3: 4 medium finding(s)"}},
		{"maxCount on grype", "--scan", grype, vuln("{maxCount: {critical: 0}}"), false,
			[]string{"maxCount critical 0: 1 critical finding(s): " +
				"CVE-1999-0002 (critical, package-2 2.2.2)"}},
		{"fixedOnly leaves an unfixed critical", "--scan", grype,
			vuln("{maxSeverity: high, fixedOnly: true}"), true, nil},
		{"without fixedOnly the unfixed critical counts", "--scan", grype,
			vuln("{maxSeverity: high}"), false,
			[]string{"maxSeverity high: 1 finding(s) above it: CVE-1999-0002"}},
		{"fixedOnly counts a fixed critical", "--scan", critical,
			vuln("{maxSeverity: high, fixedOnly: true}"), false,
			[]string{"maxSeverity high: 1 finding(s) above it: " +
				"CVE-2019-18224 (critical, libidn2-0"}},
		{"package waivers on SARIF", "--scan", sarif, vuln(`{maxCount: {medium: 2}, waivers: [
          {id: CVE-2019-1549, package: libssl1.1, until: 2999-12-31, reason: not reachable},
          {id: CVE-2019-1551, package: libssl1.1, until: 2999-12-31, reason: not reachable}]}`),
			true, nil},
		{"waiver for another package", "--scan", critical, vuln(`{maxSeverity: high, waivers: [
          {id: CVE-2019-18224, package: bash, until: 2999-12-31, reason: wrong package}]}`),
			false, []string{"maxSeverity high: 1 finding(s) above it: " +
				"CVE-2019-18224 (critical, libidn2-0"}},
		{"scan older than maxAge", "--scan", critical,
			"{type: vuln, signedBy: [ci], maxAge: 168h, rules: {maxSeverity: critical}}", false,
			[]string{"maxAge: the attestation is",
				"(created 2021-08-25T12:20:30Z), more than maxAge 168h0m0s"}},
		{"format spdx met", "--sbom", spdx, sbom("sbom", "{format: spdx, minPackages: 16}"),
			true, nil},
		{"format cyclonedx unmet", "--sbom", spdx, sbom("sbom", "{format: cyclonedx}"), false,
			[]string{"attestations[0] sbom", "no sbom attestation in format cyclonedx " +
				"(found predicate types: https://spdx.dev/Document)"}},
		{"minPackages unmet", "--sbom", centos, sbom("cyclonedx", "{minPackages: 4}"), false,
			[]string{"attestations[0] cyclonedx", "minPackages 4: the SBOM lists 3 package(s)"}},
		{"deniedPackages in range", "--sbom", npm,
			sbom("sbom", `{deniedPackages: [{name: jquery, versions: "<3.4.0"}]}`), false,
			[]string{"deniedPackages: the SBOM lists 1 denied package(s): " +
				"jquery 3.3.9 (denied: jquery <3.4.0)"}},
		{"deniedPackages out of range", "--sbom", npm, sbom("sbom", `{deniedPackages: [
          {name: jquery, versions: ">=3.4.0 <3.5.0"}, {name: left-pad}]}`), true, nil},
		{"deniedLicenses hit", "--sbom", spdx, sbom("spdx", "{deniedLicenses: [GPL-2.0-only]}"),
			false, []string{"deniedLicenses [GPL-2.0-only]: 7 package(s) " +
				"can be used only under a denied license"}},
		{"deniedLicenses met", "--sbom", spdx,
			sbom("spdx", "{deniedLicenses: [GPL-3.0-only, AGPL-3.0-or-later]}"), true, nil},
		{"deniedLicenses OR and AND", "--sbom", "sbom/npm-relicensed.cyclonedx.json",
			sbom("sbom", "{deniedLicenses: [GPL-3.0-only]}"), false,
			[]string{"deniedLicenses [GPL-3.0-only]: 1 package(s) can be used only under a " +
				"denied license: redux 4.0.1 (GPL-3.0-only)"}},
		{"deniedLicenses not SPDX", "--sbom", centos,
			sbom("sbom", "{deniedLicenses: [GPL-3.0-only]}"), false,
			[]string{`bash 4.2.46-31.el7: license "GPLv3+" is not an SPDX license expression`}},
	}
	host := testreg.GGCR(t, true)
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, host)
			img, _ := h.push(fmt.Sprintf("staging/rules%d", i), "1.0.0")
			h.keys("release", "ci")
			h.must("attest", "--key", h.path("keys/ci.key"), tc.kind, testdataPath(t, tc.file), img)
			pol := h.policy(`  - name: p
    scope: ["*/staging/**"]
    attestations:
      - ` + strings.TrimSpace(tc.entry) + "\n")
			code := exitPolicy
			if tc.pass {
				code = exitOK
			}
			h.expect(code, tc.want, "verify", "--policy", pol, img)
		})
	}
}

// TestWaivedInReport checks that findings excused by package waivers are
// listed as waived in the JSON report, and the finding in the package the
// waivers leave out is not.
func TestWaivedInReport(t *testing.T) {
	h := newHarness(t, testreg.Distribution(t))
	img, _ := h.push("staging/app", "1.0.0")
	h.keys("release", "ci")
	h.must("attest", "--key", h.path("keys/ci.key"), "--scan",
		testdataPath(t, "scan/trivy.alpine-310.sarif.json"), img)
	pol := h.policy(`  - name: p
    scope: ["*/staging/**"]
    attestations:
      - type: vuln
        signedBy: [ci]
        rules:
          maxCount: {medium: 1}
          waivers:
            - {id: CVE-2019-1549, until: 2999-12-31, reason: both packages}
            - {id: CVE-2019-1551, package: libssl1.1, until: 2999-12-31, reason: one package}
`)
	rep := decodeReport(t, h.must("verify", "--policy", pol, "-o", "json", img))
	c := rep.Images[0].Policies[0].Checks[0]
	waived := strings.Join(c.Waived, "\n")
	for _, w := range []string{
		"CVE-2019-1549 (medium, libcrypto1.1",
		"CVE-2019-1549 (medium, libssl1.1",
		"CVE-2019-1551 (medium, libssl1.1 1.1.1c-r0, fixed in 1.1.1d-r2) until 2999-12-31: " +
			"one package",
	} {
		if !strings.Contains(waived, w) {
			t.Errorf("waived lacks %q:\n%s", w, waived)
		}
	}
	if len(c.Waived) != 3 || strings.Contains(waived, "CVE-2019-1551 (medium, libcrypto1.1") {
		t.Errorf("want exactly the three waived findings, got %q", c.Waived)
	}
	if !c.Passed || !strings.Contains(c.Reason, "3 finding(s) waived") {
		t.Errorf("want a pass that counts the waived findings, got %+v", c)
	}
}

// TestThresholdAcrossBackends checks signatures.threshold with a cosign
// signer and a notation signer counted alike, on both kinds of registry.
func TestThresholdAcrossBackends(t *testing.T) {
	regs := []struct {
		name  string
		start func(testing.TB) string
	}{
		{"ggcr referrers API", func(t testing.TB) string { return testreg.GGCR(t, true) }},
		{"distribution", testreg.Distribution},
	}
	const policies = `  - name: p
    scope: ["*/staging/**"]
    signatures:
      threshold: {count: 2, of: [release, ci, notary]}
`
	for _, reg := range regs {
		t.Run(reg.name, func(t *testing.T) {
			h := newHarness(t, reg.start(t))
			img, _ := h.push("staging/app", "1.0.0")
			h.keys("release", "ci")
			h.notationKeys("notary")
			pol := h.mixedPolicy("notary-ca.crt", notaryIdentity, "strict", policies)

			h.notarySign("notary", img)
			h.expect(exitPolicy, []string{"signatures.threshold",
				"threshold 2 of [release, ci, notary]: only 1 signed (notary)"},
				"verify", "--policy", pol, img)

			h.must("sign", "--key", h.path("keys/release.key"), img)
			rep := decodeReport(t, h.must("verify", "--policy", pol, "-o", "json", img))
			c := rep.Images[0].Policies[0].Checks[0]
			if got := slices.Sorted(slices.Values(c.SatisfiedBy)); !slices.Equal(got,
				[]string{"notary", "release"}) || c.Requirement != "signatures.threshold" {
				t.Errorf("%s satisfied by %v, want notary and release", c.Requirement, got)
			}
		})
	}
}
