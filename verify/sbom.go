package verify

import (
	"fmt"
	"strings"

	"github.com/vouchsec/vouch/attest"
	"github.com/vouchsec/vouch/pkg/policy"
)

// sbomRules checks the content of an SBOM attestation: its format, how
// many packages it lists, and that none is denied by name and version or
// by license.
func (e *evaluator) sbomRules(ce *checkedEvidence, ar *policy.AttestationRule) verdict {
	r := ar.SBOM
	sbom, err := attest.ParseSBOM(ce.statement.Predicate)
	if err != nil {
		return failed("reading the SBOM predicate: %v", err)
	}
	var v verdict
	if want := sbomFormat(ar); want != "" && sbom.Format != want {
		// The predicate type said one format and the document is another.
		v.failures = append(v.failures, fmt.Sprintf(
			"format %s: the %s predicate holds a %s document",
			want, ce.statement.PredicateType, sbom.Format))
	}
	if r.MinPackages > 0 && sbom.Packages < r.MinPackages {
		v.failures = append(v.failures, fmt.Sprintf("minPackages %d: the SBOM lists %d package(s)",
			r.MinPackages, sbom.Packages))
	}
	if len(r.DeniedPackages) > 0 {
		v.failures = append(v.failures, deniedPackages(sbom.Inventory, r.DeniedPackages)...)
	}
	if len(r.DeniedLicenses) > 0 {
		v.failures = append(v.failures, deniedLicenses(sbom.Inventory, r)...)
	}
	if len(v.failures) == 0 {
		v.notes = append(v.notes, fmt.Sprintf("%d package(s)", sbom.Packages))
	}
	return v
}

// sbomFormat is the SBOM format a rule requires, from its format or its
// type; "" when either will do.
func sbomFormat(ar *policy.AttestationRule) string {
	switch {
	case ar.SBOM.Format == policy.FormatSPDX || ar.SBOM.Format == policy.FormatCycloneDX:
		return ar.SBOM.Format
	case ar.Type == policy.TypeSPDX || ar.Type == policy.TypeCycloneDX:
		return ar.Type
	}
	return ""
}

// deniedPackages reports the packages an entry of deniedPackages names,
// and those whose version cannot be compared with an entry's range: a
// package that may be denied is refused.
func deniedPackages(inv []attest.Package, denied []policy.DeniedPackage) []string {
	var hits, unknown []string
	for _, p := range inv {
		for _, dp := range denied {
			ok, err := dp.Matches(p.Name, p.Version)
			switch {
			case err != nil:
				unknown = append(unknown, err.Error())
			case ok:
				hits = append(hits, fmt.Sprintf("%s (denied: %s)", packageName(p), deniedName(dp)))
			}
		}
	}
	var out []string
	if len(hits) > 0 {
		out = append(out, fmt.Sprintf("deniedPackages: the SBOM lists %d denied package(s): %s",
			len(hits), shortList(uniq(hits))))
	}
	if len(unknown) > 0 {
		out = append(out, fmt.Sprintf("deniedPackages: %d package(s) may be denied: %s",
			len(unknown), shortList(uniq(unknown))))
	}
	return out
}

func deniedName(dp policy.DeniedPackage) string {
	if dp.Versions == "" {
		return dp.Name + ", every version"
	}
	return dp.Name + " " + dp.Versions
}

func packageName(p attest.Package) string {
	if p.Version == "" {
		return p.Name
	}
	return p.Name + " " + p.Version
}

// deniedLicenses reports the packages that may be used only under a
// denied license, and those whose license is not an SPDX expression and
// so cannot be shown to avoid one. Packages that declare no license are
// not judged.
func deniedLicenses(inv []attest.Package, r *policy.SBOMRules) []string {
	type result struct {
		denied bool
		err    error
	}
	memo := map[string]result{}
	var hits, unknown []string
	for _, p := range inv {
		if !policy.DeclaresLicense(p.License) {
			continue
		}
		res, ok := memo[p.License]
		if !ok {
			res.denied, res.err = r.LicenseDenied(p.License)
			memo[p.License] = res
		}
		switch {
		case res.err != nil:
			unknown = append(unknown, packageName(p)+": "+res.err.Error())
		case res.denied:
			hits = append(hits, fmt.Sprintf("%s (%s)", packageName(p), p.License))
		}
	}
	var exprs []string
	for _, dl := range r.DeniedLicenses {
		exprs = append(exprs, dl.Expression)
	}
	var out []string
	if len(hits) > 0 {
		out = append(out, fmt.Sprintf("deniedLicenses [%s]: %d package(s) can be used only "+
			"under a denied license: %s", strings.Join(exprs, ", "), len(hits), shortList(hits)))
	}
	if len(unknown) > 0 {
		out = append(out, fmt.Sprintf("deniedLicenses: %d package(s) have a license that "+
			"cannot be judged: %s", len(unknown), shortList(unknown)))
	}
	return out
}
