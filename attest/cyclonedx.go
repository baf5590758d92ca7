package attest

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

const cdxKind = "CycloneDX document"

// cdxVersions are the CycloneDX versions that have a JSON format (1.2 and
// later) and that cyclonedx-go decodes.
var cdxVersions = []string{"1.2", "1.3", "1.4", "1.5", "1.6", "1.7"}

// parseCycloneDX validates a CycloneDX JSON document and summarizes it.
func parseCycloneDX(members map[string]json.RawMessage, data []byte) (*SBOM, error) {
	format, _, err := stringMember(members, "bomFormat")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cdxKind, err)
	}
	if format != "CycloneDX" {
		return nil, fmt.Errorf("%w: bomFormat is %q, want %q", ErrNotSBOM, format, "CycloneDX")
	}
	version, ok, err := stringMember(members, "specVersion")
	switch {
	case err != nil:
		return nil, fmt.Errorf("%s: %w", cdxKind, err)
	case !ok:
		return nil, fmt.Errorf("%s: missing specVersion", cdxKind)
	}
	bom, err := decodeCycloneDX(members, data, version)
	if err != nil {
		return nil, err
	}
	s := &SBOM{Format: FormatCycloneDX, Version: version}
	if bom.Components != nil {
		s.Inventory = inventory(*bom.Components, nil)
	}
	s.Packages = len(s.Inventory)
	if bom.Metadata != nil {
		s.Created, err = parseTime("metadata.timestamp", bom.Metadata.Timestamp)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", cdxKind, err)
		}
	}
	return s, nil
}

// decodeCycloneDX decodes the document with cyclonedx-go. A 1.x version
// newer than the library knows is decoded as the newest it knows: CycloneDX
// minor versions only add fields, which are then ignored.
func decodeCycloneDX(members map[string]json.RawMessage, data []byte,
	version string) (*cdx.BOM, error) {
	if !slices.Contains(cdxVersions, version) {
		if !newerCDX(version) {
			return nil, fmt.Errorf("%s: %w: specVersion %q (want 1.2 or later 1.x)", cdxKind,
				ErrUnsupportedVersion, version)
		}
		latest := cdxVersions[len(cdxVersions)-1]
		as := maps.Clone(members)
		as["specVersion"] = json.RawMessage(strconv.Quote(latest))
		var err error
		if data, err = json.Marshal(as); err != nil {
			return nil, fmt.Errorf("%s: %w", cdxKind, err)
		}
	}
	var bom cdx.BOM
	if err := json.Unmarshal(data, &bom); err != nil {
		return nil, jsonError(cdxKind, err)
	}
	return &bom, nil
}

// newerCDX reports whether version is a 1.x version newer than the newest
// one cyclonedx-go knows.
func newerCDX(version string) bool {
	minor, ok := strings.CutPrefix(version, "1.")
	if !ok {
		return false
	}
	n, err := strconv.Atoi(minor)
	latest, _ := strconv.Atoi(strings.TrimPrefix(cdxVersions[len(cdxVersions)-1], "1."))
	return err == nil && n > latest && strconv.Itoa(n) == minor
}

// inventory appends components and their nested components to out.
func inventory(cs []cdx.Component, out []Package) []Package {
	for _, c := range cs {
		out = append(out, Package{Name: c.Name, Version: c.Version,
			License: cdxLicense(c.Licenses)})
		if c.Components != nil {
			out = inventory(*c.Components, out)
		}
	}
	return out
}

// cdxLicense renders a component's licenses as one expression: an
// expression as given, or the licenses (SPDX ids, else names) joined with
// AND, since a component under several licenses is under all of them.
func cdxLicense(ls *cdx.Licenses) string {
	if ls == nil {
		return ""
	}
	var parts []string
	for _, l := range *ls {
		part := strings.TrimSpace(l.Expression)
		if l.License != nil {
			part = strings.TrimSpace(first(l.License.ID, l.License.Name))
		}
		if part != "" {
			parts = append(parts, part)
		}
	}
	if len(parts) == 1 {
		return parts[0]
	}
	for i, p := range parts {
		if strings.ContainsAny(p, " \t") {
			parts[i] = "(" + p + ")"
		}
	}
	return strings.Join(parts, " AND ")
}
