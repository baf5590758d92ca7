package attest

import (
	"fmt"
	"math"
	"strings"
)

// Severity is a finding's severity on one scale for all scanners. The
// values are ordered: a greater Severity is worse, except that
// SeverityUnknown sorts lowest and callers must decide what doubt means.
type Severity int

// Severities from unknown to critical.
const (
	SeverityUnknown Severity = iota
	SeverityNone
	SeverityLow
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

var severityNames = [...]string{
	SeverityUnknown:  "unknown",
	SeverityNone:     "none",
	SeverityLow:      "low",
	SeverityMedium:   "medium",
	SeverityHigh:     "high",
	SeverityCritical: "critical",
}

// String returns the lower-case name: "unknown", "none", "low", "medium",
// "high" or "critical".
func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return fmt.Sprintf("Severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity reads a severity name, ignoring case. Besides the names
// String returns it accepts the scanners' "negligible" (low) and
// "moderate" (medium).
func ParseSeverity(name string) (Severity, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	for s, sn := range severityNames {
		if n == sn {
			return Severity(s), nil
		}
	}
	switch n {
	case "negligible":
		return SeverityLow, nil
	case "moderate":
		return SeverityMedium, nil
	}
	return SeverityUnknown, fmt.Errorf("unknown severity %q (want one of %s)",
		name, strings.Join(severityNames[:], ", "))
}

// MarshalText encodes the severity by name.
func (s Severity) MarshalText() ([]byte, error) {
	if s < 0 || int(s) >= len(severityNames) {
		return nil, fmt.Errorf("invalid severity %d", int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText decodes a severity name as ParseSeverity does.
func (s *Severity) UnmarshalText(text []byte) error {
	v, err := ParseSeverity(string(text))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// scannerSeverity reads a severity a scanner reported; a missing one is
// SeverityUnknown.
func scannerSeverity(name string) (Severity, error) {
	if strings.TrimSpace(name) == "" {
		return SeverityUnknown, nil
	}
	return ParseSeverity(name)
}

// cvssSeverity maps a CVSS base score to a severity with the CVSS v3
// qualitative ratings: 0 none, 0.1-3.9 low, 4.0-6.9 medium, 7.0-8.9 high,
// 9.0-10.0 critical.
func cvssSeverity(score float64) (Severity, error) {
	switch {
	case math.IsNaN(score) || score < 0 || score > 10:
		return SeverityUnknown, fmt.Errorf("CVSS score %v is outside 0-10", score)
	case score >= 9:
		return SeverityCritical, nil
	case score >= 7:
		return SeverityHigh, nil
	case score >= 4:
		return SeverityMedium, nil
	case score > 0:
		return SeverityLow, nil
	}
	return SeverityNone, nil
}
