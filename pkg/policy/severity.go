package policy

import (
	"fmt"
	"strings"
)

// Severity ranks vulnerability findings. The zero value is SeverityNone;
// a higher value is more severe.
type Severity int

// The severities, in increasing order.
const (
	SeverityNone Severity = iota
	SeverityLow
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

var severityNames = [...]string{"none", "low", "medium", "high", "critical"}

// ParseSeverity reads one of none, low, medium, high or critical, in any
// letter case. Scanner-specific names such as "negligible" or "unknown"
// are not severities of the policy language and are refused.
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(s, n) {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q; expected one of %s",
		s, strings.Join(severityNames[:], ", "))
}

// String returns the severity's lower-case name.
func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return fmt.Sprintf("Severity(%d)", int(s))
	}
	return severityNames[s]
}
