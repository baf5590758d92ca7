package attest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	spdxjson "github.com/spdx/tools-golang/json"
)

const spdxKind = "SPDX document"

// spdxVersions are the SPDX versions with a JSON format that the
// tools-golang loader reads.
var spdxVersions = []string{"SPDX-2.1", "SPDX-2.2", "SPDX-2.3"}

// spdxCreatorTypes are the creator kinds SPDX 2 allows ("Tool: syft").
var spdxCreatorTypes = []string{"Person", "Organization", "Tool"}

// parseSPDX validates an SPDX 2.x JSON document and summarizes it.
func parseSPDX(members map[string]json.RawMessage, data []byte) (*SBOM, error) {
	version, _, err := stringMember(members, "spdxVersion")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", spdxKind, err)
	}
	if !slices.Contains(spdxVersions, version) {
		return nil, fmt.Errorf("%s: %w: spdxVersion %q (want one of %s)", spdxKind,
			ErrUnsupportedVersion, version, strings.Join(spdxVersions, ", "))
	}
	if err := checkSPDXHeader(members); err != nil {
		return nil, fmt.Errorf("%s: %w", spdxKind, err)
	}
	s := &SBOM{Format: FormatSPDX, Version: version}
	if s.Created, err = checkSPDXCreationInfo(members["creationInfo"]); err != nil {
		return nil, fmt.Errorf("%s: %w", spdxKind, err)
	}
	doc, err := spdxjson.Read(bytes.NewReader(data))
	if err != nil {
		return nil, jsonError(spdxKind, err)
	}
	for _, p := range doc.Packages {
		if p == nil {
			continue
		}
		s.Inventory = append(s.Inventory, Package{
			Name:    p.PackageName,
			Version: p.PackageVersion,
			License: spdxLicense(p.PackageLicenseConcluded, p.PackageLicenseDeclared),
		})
	}
	s.Packages = len(s.Inventory)
	return s, nil
}

// spdxLicense picks a package's license: the concluded one, else the
// declared one; NOASSERTION and absence state none.
func spdxLicense(concluded, declared string) string {
	for _, l := range []string{concluded, declared} {
		if l = strings.TrimSpace(l); l != "" && l != "NOASSERTION" {
			return l
		}
	}
	return ""
}

// checkSPDXHeader checks the document-level fields every SPDX 2 document
// must have.
func checkSPDXHeader(members map[string]json.RawMessage) error {
	id, _, err := stringMember(members, "SPDXID")
	if err != nil {
		return err
	}
	if id != "SPDXRef-DOCUMENT" {
		return fmt.Errorf("SPDXID is %q, want %q", id, "SPDXRef-DOCUMENT")
	}
	for _, name := range []string{"name", "dataLicense", "documentNamespace"} {
		v, _, err := stringMember(members, name)
		if err != nil {
			return err
		}
		if strings.TrimSpace(v) == "" {
			return fmt.Errorf("missing %s", name)
		}
	}
	return nil
}

// spdxCreationInfo is the part of creationInfo that is checked here; the
// tools-golang loader decodes the rest.
type spdxCreationInfo struct {
	Created  *string           `json:"created"`
	Creators []json.RawMessage `json:"creators"`
}

// checkSPDXCreationInfo checks creationInfo.created (RFC 3339) and
// creationInfo.creators ("Tool: name" strings) and returns the time.
func checkSPDXCreationInfo(raw json.RawMessage) (t time.Time, err error) {
	if isNull(raw) {
		return t, fmt.Errorf("missing creationInfo")
	}
	var ci spdxCreationInfo
	if err := json.Unmarshal(raw, &ci); err != nil {
		return t, jsonError("creationInfo", err)
	}
	if ci.Created == nil || *ci.Created == "" {
		return t, fmt.Errorf("missing creationInfo.created")
	}
	if t, err = parseTime("creationInfo.created", *ci.Created); err != nil {
		return t, err
	}
	if len(ci.Creators) == 0 {
		return t, fmt.Errorf("missing creationInfo.creators")
	}
	for i, c := range ci.Creators {
		if err := checkSPDXCreator(i, c); err != nil {
			return t, err
		}
	}
	return t, nil
}

func checkSPDXCreator(i int, raw json.RawMessage) error {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return fmt.Errorf("creationInfo.creators[%d] is %s, want a string such as %q",
			i, jsonKind(raw), "Tool: name")
	}
	kind, name, ok := strings.Cut(s, ":")
	if !ok || !slices.Contains(spdxCreatorTypes, strings.TrimSpace(kind)) ||
		strings.TrimSpace(name) == "" {
		return fmt.Errorf("creationInfo.creators[%d]: %q is not of the form "+
			"\"Person|Organization|Tool: name\"", i, s)
	}
	return nil
}
