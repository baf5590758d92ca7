package policy

import (
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
	"gopkg.in/yaml.v3"
)

// The values of an SBOM rule's format.
const (
	FormatSPDX      = TypeSPDX
	FormatCycloneDX = TypeCycloneDX
	// FormatEither accepts SPDX and CycloneDX alike, as leaving format out
	// does.
	FormatEither = "either"
)

// SBOMRules constrain the content of an SBOM attestation.
type SBOMRules struct {
	// Format is FormatSPDX, FormatCycloneDX or FormatEither, or empty when
	// the file gives none, which is FormatEither. With type sbom it
	// narrows the predicate types accepted (see
	// [AttestationRule.PredicateTypes]); with type spdx or cyclonedx it
	// can only repeat the type.
	Format string
	// MinPackages is the fewest packages the SBOM must list; zero means no
	// minimum.
	MinPackages int
	// DeniedPackages are packages the SBOM must not list.
	DeniedPackages []DeniedPackage
	// DeniedLicenses are licenses no package may be limited to; see
	// [SBOMRules.LicenseDenied].
	DeniedLicenses []DeniedLicense
}

// DeniedPackage names a package, in every version or in a range of
// versions, that an SBOM must not list.
type DeniedPackage struct {
	// Name is compared with package names without regard to letter case.
	Name string
	// Versions is a version range as written, such as ">=1.2.0 <1.2.5";
	// empty means every version.
	Versions string
	Pos      Position

	versions *semver.Constraints
}

// Matches reports whether a package of that name and version is denied.
// Versions compare by Semantic Versioning precedence, pre-releases
// included. When the name matches but the entry has a range and version
// is empty or not a semantic version, Matches returns an error: whether
// the package is denied cannot be told.
func (p DeniedPackage) Matches(name, version string) (bool, error) {
	if !strings.EqualFold(p.Name, name) {
		return false, nil
	}
	if p.Versions == "" {
		return true, nil
	}
	c := p.versions
	if c == nil {
		var err error
		if c, err = versionRange(p.Versions); err != nil {
			return false, err
		}
	}
	if version == "" {
		return false, fmt.Errorf("%s has no version to compare with %q", name, p.Versions)
	}
	v, err := semver.NewVersion(version)
	if err != nil {
		return false, fmt.Errorf("version %q of %s is not a semantic version, "+
			"so it cannot be compared with %q", version, name, p.Versions)
	}
	return c.Check(v), nil
}

// versionRange parses a range in the syntax of Masterminds/semver:
// comparisons joined by spaces or commas (and), groups joined by ||
// (or). Pre-release versions are inside a range like any other.
func versionRange(s string) (*semver.Constraints, error) {
	c, err := semver.NewConstraint(s)
	if err != nil {
		return nil, err
	}
	c.IncludePrerelease = true
	return c, nil
}

// sbomRules decodes the rules of an SBOM attestation of type typ.
func (d *decoder) sbomRules(n *yaml.Node, typ string) *SBOMRules {
	f, ok := d.mapping(n, "sbom rules", "format", "minPackages", "deniedPackages",
		"deniedLicenses")
	if !ok {
		return nil
	}
	r := &SBOMRules{}
	if v := f.value("format"); v != nil {
		r.Format = d.sbomFormat(v, typ)
	}
	if v := f.value("minPackages"); v != nil {
		if c, ok := d.count(v, "minPackages"); ok && c == 0 {
			d.errorf(v, "minPackages 0 requires nothing; give at least 1")
		} else {
			r.MinPackages = c
		}
	}
	if v := f.value("deniedPackages"); v != nil {
		r.DeniedPackages = d.deniedPackages(v)
	}
	if v := f.value("deniedLicenses"); v != nil {
		r.DeniedLicenses = d.deniedLicenses(v)
	}
	if len(n.Content) == 0 {
		d.errorf(n, "rules is empty; give format, minPackages, deniedPackages or deniedLicenses")
	}
	return r
}

// sbomFormat decodes format. With type spdx or cyclonedx the type has
// already chosen the format, and format may only repeat it.
func (d *decoder) sbomFormat(n *yaml.Node, typ string) string {
	s, ok := d.str(n, "format")
	if !ok {
		return ""
	}
	switch s {
	case FormatSPDX, FormatCycloneDX, FormatEither:
	default:
		d.errorf(n, "unknown SBOM format %q; expected one of %s, %s, %s",
			s, FormatSPDX, FormatCycloneDX, FormatEither)
		return ""
	}
	if typ != TypeSBOM && s != typ {
		d.errorf(n, "format %s contradicts type %s, which accepts only %s SBOMs; "+
			"use type sbom to choose the format with format", s, typ, typ)
		return ""
	}
	return s
}

// deniedPackages decodes the list of denied packages.
func (d *decoder) deniedPackages(n *yaml.Node) []DeniedPackage {
	if !d.expectKind(n, yaml.SequenceNode, "deniedPackages") {
		return nil
	}
	if len(n.Content) == 0 {
		d.errorf(n, "deniedPackages is empty")
		return nil
	}
	var out []DeniedPackage
	seen := map[string]Position{}
	for _, item := range n.Content {
		p, ok := d.deniedPackage(item)
		if !ok {
			continue
		}
		key := strings.ToLower(p.Name)
		if first, dup := seen[key]; dup {
			d.errorf(item, "denied package %q is given twice (first at %s); "+
				"join its version ranges with ||", p.Name, first)
			continue
		}
		seen[key] = p.Pos
		out = append(out, p)
	}
	return out
}

// deniedPackage decodes one entry of deniedPackages.
func (d *decoder) deniedPackage(n *yaml.Node) (DeniedPackage, bool) {
	what := "denied package"
	if name := peek(n, "name"); name != "" {
		what = fmt.Sprintf("denied package %q", name)
	}
	f, ok := d.mapping(n, what, "name", "versions")
	if !ok {
		return DeniedPackage{}, false
	}
	p := DeniedPackage{Pos: d.pos(n)}
	nameOK, versionsOK := false, true
	if v := d.required(f, "name"); v != nil {
		p.Name, nameOK = d.str(v, "denied package name")
	}
	if v := f.value("versions"); v != nil {
		if p.Versions, versionsOK = d.str(v, "versions"); versionsOK {
			c, err := versionRange(p.Versions)
			if err != nil {
				d.wrap(v, err, "versions %q is not a version range (such as \">=1.2.0 <1.2.5\")",
					p.Versions)
				versionsOK = false
			}
			p.versions = c
		}
	}
	return p, nameOK && versionsOK
}

// deniedLicenses decodes the list of denied license expressions.
func (d *decoder) deniedLicenses(n *yaml.Node) []DeniedLicense {
	exprs, nodes, _ := d.strList(n, "deniedLicenses")
	var out []DeniedLicense
	seen := map[string]Position{}
	for i, expr := range exprs {
		if msg, err := deniedLicenseProblem(expr); msg != "" {
			d.wrap(nodes[i], err, "deniedLicenses entry %q %s", expr, msg)
			continue
		}
		key := strings.ToLower(expr)
		if first, dup := seen[key]; dup {
			d.errorf(nodes[i], "license %q is denied twice (first at %s)", expr, first)
			continue
		}
		seen[key] = d.pos(nodes[i])
		out = append(out, DeniedLicense{Expression: expr, Pos: d.pos(nodes[i])})
	}
	return out
}
