package attest

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

const sarifKind = "SARIF log"

// sarifLog holds the parts of a SARIF 2.1.0 log that vouch reads.
type sarifLog struct {
	Runs []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool struct {
		Driver *sarifDriver `json:"driver"`
	} `json:"tool"`
	Invocations []struct {
		StartTimeUTC string `json:"startTimeUtc"`
		EndTimeUTC   string `json:"endTimeUtc"`
	} `json:"invocations"`
	Results []sarifResult `json:"results"`
}

type sarifDriver struct {
	Name            string      `json:"name"`
	Version         string      `json:"version"`
	SemanticVersion string      `json:"semanticVersion"`
	InformationURI  string      `json:"informationUri"`
	Rules           []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string `json:"id"`
	DefaultConfiguration *struct {
		Level string `json:"level"`
	} `json:"defaultConfiguration"`
	Help       *sarifMessage              `json:"help"`
	Properties map[string]json.RawMessage `json:"properties"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID    string `json:"ruleId"`
	RuleIndex *int   `json:"ruleIndex"`
	Rule      *struct {
		ID    string `json:"id"`
		Index *int   `json:"index"`
	} `json:"rule"`
	Kind       string                     `json:"kind"`
	Level      string                     `json:"level"`
	Message    sarifMessage               `json:"message"`
	Properties map[string]json.RawMessage `json:"properties"`
}

// parseSARIF reads a SARIF 2.1.0 log. Every result of kind fail (the
// default), open, review or informational becomes a finding.
func parseSARIF(members map[string]json.RawMessage, data []byte) (*Scan, error) {
	version, _, err := stringMember(members, "version")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", sarifKind, err)
	}
	if version != "2.1.0" {
		return nil, fmt.Errorf("%s: %w: version %q (want 2.1.0)", sarifKind,
			ErrUnsupportedVersion, version)
	}
	var l sarifLog
	if err := json.Unmarshal(data, &l); err != nil {
		return nil, jsonError(sarifKind, err)
	}
	if len(l.Runs) == 0 {
		return nil, fmt.Errorf("%s: no runs", sarifKind)
	}
	s := &Scan{Format: FormatSARIF}
	for i := range l.Runs {
		if err := s.addRun(&l.Runs[i]); err != nil {
			return nil, fmt.Errorf("%s: runs[%d]: %w", sarifKind, i, err)
		}
	}
	return s, nil
}

// addRun adds a run's findings; the first run names the scanner.
func (s *Scan) addRun(run *sarifRun) error {
	d := run.Tool.Driver
	if d == nil || d.Name == "" {
		return fmt.Errorf("missing tool.driver.name")
	}
	if s.Scanner == "" {
		s.Scanner, s.ScannerVersion, s.ScannerURI = d.Name, d.Version, d.InformationURI
		if s.ScannerVersion == "" {
			s.ScannerVersion = d.SemanticVersion
		}
	}
	t, err := runTime(run)
	if err != nil {
		return err
	}
	if t.After(s.ScannedAt) {
		s.ScannedAt = t
	}
	for i := range run.Results {
		r := &run.Results[i]
		if r.Kind == "pass" || r.Kind == "notApplicable" {
			continue
		}
		f, err := r.finding(d.Rules)
		if err != nil {
			return fmt.Errorf("results[%d]: %w", i, err)
		}
		s.Findings = append(s.Findings, f)
	}
	return nil
}

// runTime is the latest invocation end time of a run, or when no
// invocation has one, the latest start time.
func runTime(run *sarifRun) (time.Time, error) {
	var end, start time.Time
	for i, inv := range run.Invocations {
		e, err := parseTime(fmt.Sprintf("invocations[%d].endTimeUtc", i), inv.EndTimeUTC)
		if err != nil {
			return time.Time{}, err
		}
		st, err := parseTime(fmt.Sprintf("invocations[%d].startTimeUtc", i), inv.StartTimeUTC)
		if err != nil {
			return time.Time{}, err
		}
		if e.After(end) {
			end = e
		}
		if st.After(start) {
			start = st
		}
	}
	if end.IsZero() {
		return start, nil
	}
	return end, nil
}

// finding normalizes one result with the help of its rule.
func (r *sarifResult) finding(rules []sarifRule) (Finding, error) {
	rule, err := r.rule(rules)
	if err != nil {
		return Finding{}, err
	}
	f := Finding{ID: r.RuleID}
	if f.ID == "" && r.Rule != nil {
		f.ID = r.Rule.ID
	}
	if f.ID == "" && rule != nil {
		f.ID = rule.ID
	}
	if f.Severity, err = r.severity(rule); err != nil {
		return Finding{}, err
	}
	f.Package, f.InstalledVersion, f.FixedVersion = r.pkg(rule)
	if f.Package != "" {
		// Grype's rule ids are "<vulnerability>-<package>".
		f.ID = strings.TrimSuffix(f.ID, "-"+f.Package)
	}
	return f, nil
}

// rule finds the result's rule among the driver's rules by index or id;
// it returns nil when the result names no rule the driver defines.
func (r *sarifResult) rule(rules []sarifRule) (*sarifRule, error) {
	idx := -1
	switch {
	case r.RuleIndex != nil:
		idx = *r.RuleIndex
	case r.Rule != nil && r.Rule.Index != nil:
		idx = *r.Rule.Index
	}
	if idx >= len(rules) || idx < -1 {
		return nil, fmt.Errorf("rule index %d out of range (the driver has %d rules)",
			idx, len(rules))
	}
	if idx >= 0 {
		return &rules[idx], nil
	}
	id := r.RuleID
	if id == "" && r.Rule != nil {
		id = r.Rule.ID
	}
	for i := range rules {
		if id != "" && rules[i].ID == id {
			return &rules[i], nil
		}
	}
	return nil, nil
}

// severity takes the CVSS score in the result's or the rule's
// security-severity property, else the result's level.
func (r *sarifResult) severity(rule *sarifRule) (Severity, error) {
	score, ok, err := securitySeverity(r.Properties)
	if err != nil {
		return SeverityUnknown, fmt.Errorf("properties: %w", err)
	}
	if !ok && rule != nil {
		if score, ok, err = securitySeverity(rule.Properties); err != nil {
			return SeverityUnknown, fmt.Errorf("rule %s: properties: %w", rule.ID, err)
		}
	}
	if ok {
		return cvssSeverity(score)
	}
	return levelSeverity(r.level(rule))
}

// level is the result's level with SARIF's defaults: the rule's default
// level, else warning for a failure and none for other kinds.
func (r *sarifResult) level(rule *sarifRule) string {
	switch {
	case r.Level != "":
		return r.Level
	case rule != nil && rule.DefaultConfiguration != nil &&
		rule.DefaultConfiguration.Level != "":
		return rule.DefaultConfiguration.Level
	case r.Kind == "" || r.Kind == "fail":
		return "warning"
	}
	return "none"
}

func levelSeverity(level string) (Severity, error) {
	switch level {
	case "error":
		return SeverityHigh, nil
	case "warning":
		return SeverityMedium, nil
	case "note":
		return SeverityLow, nil
	case "none":
		return SeverityNone, nil
	}
	return SeverityUnknown, fmt.Errorf("level %q is not one of error, warning, note, none", level)
}

// securitySeverity reads the "security-severity" property, a CVSS score
// given as a string ("8.2") or a number.
func securitySeverity(props map[string]json.RawMessage) (float64, bool, error) {
	raw, ok := props["security-severity"]
	if !ok || isNull(raw) {
		return 0, false, nil
	}
	var text string
	if err := json.Unmarshal(raw, &text); err != nil {
		text = string(raw)
	}
	score, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
	if err != nil {
		return 0, false, fmt.Errorf("security-severity %s is not a CVSS score", raw)
	}
	if _, err := cvssSeverity(score); err != nil {
		return 0, false, fmt.Errorf("security-severity: %w", err)
	}
	return score, true, nil
}
