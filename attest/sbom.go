package attest

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Predicate types of the attestations this package writes and reads.
const (
	// PredicateSPDX is the predicate type of an SPDX JSON SBOM attestation.
	PredicateSPDX = "https://spdx.dev/Document"
	// PredicateCycloneDX is the predicate type of a CycloneDX SBOM attestation.
	PredicateCycloneDX = "https://cyclonedx.org/bom"
	// PredicateVuln is the predicate type of cosign's vulnerability scan
	// attestation (cosign attest --type vuln).
	PredicateVuln = "https://cosign.sigstore.dev/attestation/vuln/v1"
)

// SBOM formats as reported in SBOM.Format.
const (
	FormatSPDX      = "spdx"
	FormatCycloneDX = "cyclonedx"
)

var (
	// ErrNotSBOM means the input is not an SBOM in any supported format.
	ErrNotSBOM = errors.New("not an SBOM")
	// ErrUnsupportedVersion means the input is of a known format but of a
	// version this package does not read.
	ErrUnsupportedVersion = errors.New("unsupported version")
)

// SBOM is a validated software bill of materials.
type SBOM struct {
	// Format is FormatSPDX or FormatCycloneDX.
	Format string
	// Version is the format version as the document states it:
	// "SPDX-2.3" for SPDX, "1.5" for CycloneDX.
	Version string
	// Packages counts SPDX packages, or CycloneDX components including
	// nested ones (the metadata component, which describes the subject,
	// is not counted). It is len(Inventory).
	Packages int
	// Inventory lists those packages or components in document order, a
	// component's nested components after it.
	Inventory []Package
	// Created is SPDX creationInfo.created or CycloneDX
	// metadata.timestamp; zero when the document has none.
	Created time.Time
	// Document is the document as given, in compact JSON.
	Document json.RawMessage
}

// Package is one package an SBOM lists, as the document gives it.
type Package struct {
	Name string
	// Version is empty when the document gives none.
	Version string
	// License is the package's license as an SPDX license expression
	// when the document uses one. For SPDX it is licenseConcluded, or
	// licenseDeclared when the concluded license is absent or NOASSERTION;
	// it may be NONE. For CycloneDX it is the component's license
	// expression, or its licenses joined with AND, each an SPDX id or a
	// license name as written (which need not be an SPDX id). Empty when
	// the document states no license.
	License string
}

// PredicateType returns the in-toto predicate type for the SBOM's format.
func (s *SBOM) PredicateType() string {
	if s.Format == FormatCycloneDX {
		return PredicateCycloneDX
	}
	return PredicateSPDX
}

// ParseSBOM detects an SPDX 2.x JSON or CycloneDX 1.x JSON document,
// validates it and returns its summary. Anything else is refused with an
// error wrapping ErrNotSBOM or ErrUnsupportedVersion, or describing what
// is malformed and where.
func ParseSBOM(data []byte) (*SBOM, error) {
	members, compact, err := decodeObject(data, "SBOM")
	if err != nil {
		return nil, err
	}
	_, isSPDX := members["spdxVersion"]
	_, isCDX := members["bomFormat"]
	var s *SBOM
	switch {
	case isSPDX && isCDX:
		return nil, fmt.Errorf("%w: both spdxVersion and bomFormat found", ErrNotSBOM)
	case isSPDX:
		s, err = parseSPDX(members, compact)
	case isCDX:
		s, err = parseCycloneDX(members, compact)
	case isSPDX3(members):
		return nil, fmt.Errorf("SPDX document: %w: SPDX 3 (JSON-LD) is not supported, "+
			"want SPDX 2.x JSON", ErrUnsupportedVersion)
	default:
		return nil, fmt.Errorf("%w: neither spdxVersion nor bomFormat found%s",
			ErrNotSBOM, scanHint(members))
	}
	if err != nil {
		return nil, err
	}
	s.Document = compact
	return s, nil
}

// isSPDX3 recognizes an SPDX 3 JSON-LD document by its @context.
func isSPDX3(members map[string]json.RawMessage) bool {
	ctx, ok := members["@context"]
	if !ok {
		return false
	}
	var s string
	if json.Unmarshal(ctx, &s) == nil {
		return spdx3Context(s)
	}
	var list []any
	if json.Unmarshal(ctx, &list) == nil {
		for _, v := range list {
			if s, ok := v.(string); ok && spdx3Context(s) {
				return true
			}
		}
	}
	return false
}

func spdx3Context(s string) bool {
	const prefix = "https://spdx.org/rdf/3."
	return len(s) >= len(prefix) && s[:len(prefix)] == prefix
}

// scanHint says which scan report format the members look like, so that
// an error can tell the user they passed a scan report as an SBOM.
func scanHint(members map[string]json.RawMessage) string {
	if f := detectScan(members); f != "" {
		return fmt.Sprintf(" (the input looks like a %s scan report)", f)
	}
	return ""
}
