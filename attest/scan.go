package attest

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Scan report formats as reported in Scan.Format.
const (
	FormatTrivy = "trivy"
	FormatGrype = "grype"
	FormatSARIF = "sarif"
)

// ErrNotScanReport means the input is not a scan report in any supported
// format.
var ErrNotScanReport = errors.New("not a scan report")

// Finding is one vulnerability a scanner reported, normalized across
// scanners.
type Finding struct {
	// ID is the vulnerability identifier, such as a CVE or GHSA id.
	ID string
	// Package is the affected package's name; empty when the report does
	// not say.
	Package string
	// InstalledVersion is the version found; empty when unknown.
	InstalledVersion string
	// FixedVersion lists the versions that fix the finding, as the report
	// gives them; empty when there is no fix or the report does not say.
	FixedVersion string
	// Severity is the normalized severity.
	Severity Severity
}

// Scan is a validated vulnerability scan report.
type Scan struct {
	// Format is FormatTrivy, FormatGrype or FormatSARIF. It is empty for
	// a scan read from a vulnerability predicate whose result is not a
	// report in one of these formats: its findings are then unknown, not
	// absent.
	Format string
	// Scanner names the scanner: "trivy", "grype", or the SARIF
	// tool.driver.name.
	Scanner string
	// ScannerVersion is the scanner's version when the report gives it.
	ScannerVersion string
	// ScannerURI identifies the scanner in the vulnerability predicate.
	ScannerURI string
	// DBURI and DBVersion identify the vulnerability database when the
	// report gives them.
	DBURI, DBVersion string
	// ScannedAt is the scan time the report states (Trivy CreatedAt, Grype
	// descriptor.timestamp, SARIF invocation end or start time); zero when
	// the report has none.
	ScannedAt time.Time
	// Findings are the vulnerabilities reported, in report order.
	Findings []Finding
	// Raw is the report as given, in compact JSON.
	Raw json.RawMessage
}

// MaxSeverity returns the worst severity among the findings, or
// SeverityNone when there are none. A finding of unknown severity does not
// raise it; see Severity.
func (s *Scan) MaxSeverity() Severity {
	worst := SeverityNone
	for _, f := range s.Findings {
		worst = max(worst, f.Severity)
	}
	return worst
}

// ParseScan detects a Trivy JSON report (SchemaVersion 2), a Grype JSON
// report or a SARIF 2.1.0 log, validates it and normalizes its findings.
// Other input is refused with an error wrapping ErrNotScanReport or
// ErrUnsupportedVersion, or describing what is malformed and where;
// invalid JSON is reported with its byte offset.
func ParseScan(data []byte) (*Scan, error) {
	members, compact, err := decodeObject(data, "scan report")
	if err != nil {
		if legacyTrivy(data) {
			return nil, fmt.Errorf("%s: %w: a top-level array is the Trivy JSON "+
				"format before SchemaVersion 2; scan again with a current Trivy",
				trivyKind, ErrUnsupportedVersion)
		}
		return nil, err
	}
	var s *Scan
	switch detectScan(members) {
	case FormatTrivy:
		s, err = parseTrivy(members, compact)
	case FormatGrype:
		s, err = parseGrype(compact)
	case FormatSARIF:
		s, err = parseSARIF(members, compact)
	default:
		return nil, fmt.Errorf("%w: no Trivy SchemaVersion, Grype matches and descriptor, "+
			"or SARIF version and runs found%s", ErrNotScanReport, sbomHint(members))
	}
	if err != nil {
		return nil, err
	}
	s.Raw = compact
	return s, nil
}

// detectScan names the scan report format the top-level members belong
// to, or returns "".
func detectScan(members map[string]json.RawMessage) string {
	has := func(k string) bool { _, ok := members[k]; return ok }
	switch {
	case has("SchemaVersion"):
		return FormatTrivy
	case has("matches") && has("descriptor"):
		return FormatGrype
	case has("runs") && has("version"):
		return FormatSARIF
	}
	return ""
}

// sbomHint tells the user they passed an SBOM as a scan report.
func sbomHint(members map[string]json.RawMessage) string {
	if _, ok := members["spdxVersion"]; ok {
		return " (the input looks like an SPDX SBOM)"
	}
	if _, ok := members["bomFormat"]; ok {
		return " (the input looks like a CycloneDX SBOM)"
	}
	return ""
}

// legacyTrivy recognizes the Trivy JSON output of before schema 2: an
// array of results with Target fields.
func legacyTrivy(data []byte) bool {
	var results []map[string]json.RawMessage
	if json.Unmarshal(data, &results) != nil || len(results) == 0 {
		return false
	}
	_, ok := results[0]["Target"]
	return ok
}
