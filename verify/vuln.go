package verify

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vouchsec/vouch/attest"
	"github.com/vouchsec/vouch/pkg/policy"
)

// vulnRules checks the findings of a vulnerability attestation against
// maxSeverity and maxCount.
func (e *evaluator) vulnRules(ce *checkedEvidence, r *policy.VulnRules) verdict {
	scan, err := attest.ParseVulnPredicate(ce.statement.Predicate)
	if err != nil {
		return failed("reading the vulnerability predicate: %v", err)
	}
	limits := vulnLimits(r)
	if limits == "" {
		return verdict{}
	}
	if scan.Format == "" {
		// The findings are unknown, not absent: refuse.
		return failed("%s: the vulnerability predicate holds no Trivy, Grype or SARIF "+
			"report (scanner.result), so its findings cannot be checked", limits)
	}
	t := e.tally(scan.Findings, r)
	v := verdict{waived: t.waived}
	if len(t.over) > 0 {
		v.failures = append(v.failures, fmt.Sprintf("maxSeverity %s: %d finding(s) above it: %s",
			r.MaxSeverity, len(t.over), shortList(t.over)))
	}
	for sev := policy.SeverityCritical; sev >= policy.SeverityNone; sev-- {
		limit, ok := r.MaxCount[sev]
		if found := t.bySeverity[sev]; ok && len(found) > limit {
			v.failures = append(v.failures, fmt.Sprintf("maxCount %s %d: %d %s finding(s): %s",
				sev, limit, len(found), sev, shortList(found)))
		}
	}
	if len(t.waived) > 0 {
		v.notes = append(v.notes, fmt.Sprintf("%d finding(s) waived", len(t.waived)))
	}
	if t.unfixed > 0 {
		v.notes = append(v.notes, fmt.Sprintf("%d finding(s) without a fixed version "+
			"not counted (fixedOnly)", t.unfixed))
	}
	return v
}

// vulnLimits names the rules that limit findings, or returns "".
func vulnLimits(r *policy.VulnRules) string {
	var names []string
	if r.HasMaxSeverity {
		names = append(names, "maxSeverity")
	}
	if len(r.MaxCount) > 0 {
		names = append(names, "maxCount")
	}
	return strings.Join(names, " and ")
}

// tally is the findings of a scan sorted by what the rules make of them.
// Each list holds finding descriptions, sorted.
type tally struct {
	// over are counted findings above maxSeverity.
	over []string
	// bySeverity are counted findings of the severities maxCount limits.
	bySeverity map[policy.Severity][]string
	// waived are findings that would have counted, excused by a waiver.
	waived []string
	// unfixed counts findings that would have counted but have no fixed
	// version, under fixedOnly.
	unfixed int
}

// tally applies fixedOnly and the waivers to the findings a limit
// applies to. A finding reported twice (the same id, severity, package
// and versions) counts once.
func (e *evaluator) tally(findings []attest.Finding, r *policy.VulnRules) tally {
	t := tally{bySeverity: map[policy.Severity][]string{}}
	seen := map[string]bool{}
	for _, f := range findings {
		sev := findingSeverity(f)
		_, limited := r.MaxCount[sev]
		above := r.HasMaxSeverity && sev > r.MaxSeverity
		desc := describeFinding(f, sev)
		if !above && !limited || seen[desc] {
			continue
		}
		seen[desc] = true
		if r.FixedOnly && f.FixedVersion == "" {
			t.unfixed++
			continue
		}
		w, ok := waiverFor(r.Waivers, f, e.now)
		switch {
		case ok && w.Active(e.now):
			t.waived = append(t.waived, fmt.Sprintf("%s until %s: %s", desc,
				w.Until.Format(time.DateOnly), w.Reason))
			continue
		case ok:
			desc += fmt.Sprintf(" (waiver expired %s)", w.Until.Format(time.DateOnly))
		}
		if above {
			t.over = append(t.over, desc)
		}
		if limited {
			t.bySeverity[sev] = append(t.bySeverity[sev], desc)
		}
	}
	slices.Sort(t.over)
	slices.Sort(t.waived)
	for _, found := range t.bySeverity {
		slices.Sort(found)
	}
	return t
}

// shortList joins up to five entries and says how many more there are.
func shortList(entries []string) string {
	shown := entries
	if len(shown) > 5 {
		shown = append(shown[:5:5], fmt.Sprintf("and %d more", len(entries)-5))
	}
	return strings.Join(shown, "; ")
}

// findingSeverity maps a finding onto the policy's scale; a finding of
// unknown severity counts as critical, so that doubt refuses.
func findingSeverity(f attest.Finding) policy.Severity {
	s, err := policy.ParseSeverity(f.Severity.String())
	if err != nil {
		return policy.SeverityCritical
	}
	return s
}

func describeFinding(f attest.Finding, sev policy.Severity) string {
	s := fmt.Sprintf("%s (%s", f.ID, sev)
	if f.Package != "" {
		s += ", " + f.Package
		if f.InstalledVersion != "" {
			s += " " + f.InstalledVersion
		}
	}
	if f.FixedVersion != "" {
		s += ", fixed in " + f.FixedVersion
	}
	return s + ")"
}

// waiverFor finds the waiver for a finding, preferring one still in force
// at now over an expired one.
func waiverFor(ws []policy.Waiver, f attest.Finding, now time.Time) (policy.Waiver, bool) {
	var found policy.Waiver
	ok := false
	for _, w := range ws {
		if !w.Covers(f.ID, f.Package) {
			continue
		}
		if w.Active(now) {
			return w, true
		}
		found, ok = w, true
	}
	return found, ok
}
