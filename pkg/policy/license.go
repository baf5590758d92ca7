package policy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/github/go-spdx/v2/spdxexp"
	"github.com/github/go-spdx/v2/spdxexp/spdxlicenses"
)

// DeniedLicense is one entry of deniedLicenses.
type DeniedLicense struct {
	// Expression is an SPDX license expression as written: a license id
	// (GPL-3.0-only), a range (GPL-3.0-or-later, GPL-3.0+), a license with
	// an exception, a LicenseRef, or such licenses joined by OR. It denies
	// every license that satisfies it on its own.
	Expression string
	Pos        Position
}

// The license values of SPDX that declare no license expression.
const (
	licenseNone        = "NONE"
	licenseNoAssertion = "NOASSERTION"
)

// deniedLicenseProblem says what is wrong with a deniedLicenses entry,
// or returns "": it must be an SPDX license expression that some single
// license satisfies, since an entry such as "MIT AND Apache-2.0" would
// deny no license at all.
func deniedLicenseProblem(expr string) (string, error) {
	if err := checkComplexity(expr); err != nil {
		return err.Error(), nil
	}
	leaves, err := spdxexp.ExtractLicenses(expr)
	if err != nil {
		return "is not an SPDX license expression", err
	}
	if len(leaves) > maxLicenses {
		return fmt.Sprintf("names %d licenses, more than the %d vouch judges", len(leaves),
			maxLicenses), nil
	}
	for _, l := range leaves {
		if ok, err := spdxexp.Satisfies(expr, []string{l}); err == nil && ok {
			return "", nil
		}
	}
	return "is satisfied by no single license, so it denies none; " +
		"list each license to deny on its own", nil
}

// DeclaresLicense reports whether expr, the license of a package as an
// SBOM gives it, declares a license at all: it is not empty, NONE or
// NOASSERTION.
func DeclaresLicense(expr string) bool {
	expr = strings.TrimSpace(expr)
	return expr != "" && expr != licenseNone && expr != licenseNoAssertion
}

// LicenseDenied reports whether a package under the SPDX license
// expression expr may be used only under a denied license: whether every
// way of satisfying expr takes a license that an entry of DeniedLicenses
// satisfies. "MIT OR GPL-3.0-only" with GPL-3.0-only denied is not
// denied, since MIT alone satisfies it; "MIT AND GPL-3.0-only" is. A range
// in expr (GPL-2.0-or-later) stands for each version it admits and is
// denied only when all of them are. A license with an exception is not
// the license without it. An expr that declares no license (see
// [DeclaresLicense]) is never denied; one that is not an SPDX license
// expression is an error.
func (r *SBOMRules) LicenseDenied(expr string) (bool, error) {
	if len(r.DeniedLicenses) == 0 || !DeclaresLicense(expr) {
		return false, nil
	}
	expr = strings.TrimSpace(expr)
	if err := checkComplexity(expr); err != nil {
		return false, fmt.Errorf("license %q %w", expr, err)
	}
	leaves, err := spdxexp.ExtractLicenses(expr)
	if err != nil {
		return false, fmt.Errorf("license %q is not an SPDX license expression: %w", expr, err)
	}
	if len(leaves) > maxLicenses {
		return false, fmt.Errorf("license %q names %d licenses, more than the %d "+
			"vouch judges", expr, len(leaves), maxLicenses)
	}
	var allowed []string
	for _, l := range leaves {
		for _, c := range concreteLicenses(l) {
			if !r.denies(c) && !slices.Contains(allowed, c) {
				allowed = append(allowed, c)
			}
		}
	}
	if len(allowed) == 0 {
		return true, nil
	}
	ok, err := spdxexp.Satisfies(expr, allowed)
	if err != nil {
		return false, fmt.Errorf("license %q: %w", expr, err)
	}
	return !ok, nil
}

// Limits on the license expressions LicenseDenied judges. Judging an
// expression expands it into every combination of licenses that satisfies
// it, which grows exponentially with its ORs; an SBOM's licenses come from
// package metadata that anyone can publish.
const (
	maxLicenseExpr = 4096
	maxLicenseORs  = 10
	maxLicenses    = 64
)

// checkComplexity refuses a license expression too large to judge.
func checkComplexity(expr string) error {
	if len(expr) > maxLicenseExpr {
		return fmt.Errorf("is %d bytes long, more than the %d vouch judges", len(expr),
			maxLicenseExpr)
	}
	ors := 0
	for _, tok := range strings.FieldsFunc(expr, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '(' || r == ')'
	}) {
		if tok == "OR" {
			ors++
		}
	}
	if ors > maxLicenseORs {
		return fmt.Errorf("has %d ORs, more than the %d vouch judges", ors, maxLicenseORs)
	}
	return nil
}

// denies reports whether a single license satisfies a denied entry. An
// error from the library counts as denied.
func (r *SBOMRules) denies(license string) bool {
	for _, dl := range r.DeniedLicenses {
		if ok, err := spdxexp.Satisfies(dl.Expression, []string{license}); err != nil || ok {
			return true
		}
	}
	return false
}

// concreteLicenses returns the licenses of one version each that satisfy
// leaf, one license of an expression as spdxexp.ExtractLicenses gives it:
// leaf itself, or for a range such as GPL-2.0-or-later or Apache-2.0+ each
// version of that license in the SPDX license list that the range admits,
// with the same exception.
func concreteLicenses(leaf string) []string {
	id, exception, hasException := strings.Cut(leaf, " WITH ")
	base, isRange := rangeBase(id)
	if !isRange {
		return []string{leaf}
	}
	var out []string
	for _, group := range spdxlicenses.LicenseRanges() {
		if !slices.ContainsFunc(group, func(v []string) bool { return slices.Contains(v, base) }) {
			continue
		}
		for _, version := range group {
			for _, c := range version {
				if hasException {
					c += " WITH " + exception
				}
				if ok, err := spdxexp.Satisfies(leaf, []string{c}); err == nil && ok {
					out = append(out, c)
				}
			}
		}
	}
	if len(out) == 0 {
		// A license with no other versions listed: the range admits the
		// license itself.
		c := base
		if hasException {
			c += " WITH " + exception
		}
		out = append(out, c)
	}
	return out
}

// rangeBase strips the + or -or-later of a license range.
func rangeBase(id string) (string, bool) {
	if b, ok := strings.CutSuffix(id, "+"); ok {
		return b, true
	}
	if len(id) > len("-or-later") && strings.EqualFold(id[len(id)-len("-or-later"):], "-or-later") {
		return id[:len(id)-len("-or-later")], true
	}
	return id, false
}
