package policy

import (
	"fmt"
	"time"

	"gopkg.in/yaml.v3"
)

// dateLayout is the form of a waiver's until date.
const dateLayout = "2006-01-02"

// vulnRules decodes the rules of a vuln attestation.
func (d *decoder) vulnRules(n *yaml.Node) *VulnRules {
	f, ok := d.mapping(n, "rules", "maxSeverity", "waivers")
	if !ok {
		return nil
	}
	r := &VulnRules{}
	if v := f.value("maxSeverity"); v != nil {
		if s, ok := d.str(v, "maxSeverity"); ok {
			sev, err := ParseSeverity(s)
			if err != nil {
				d.errorf(v, "maxSeverity: %v", err)
			}
			r.MaxSeverity, r.HasMaxSeverity = sev, err == nil
		}
	}
	if v := f.value("waivers"); v != nil {
		r.Waivers = d.waivers(v)
		if f.value("maxSeverity") == nil {
			d.errorf(f.keys["waivers"], "waivers have no effect without maxSeverity")
		}
	}
	if len(f.vals) == 0 {
		d.errorf(n, "rules is empty; give maxSeverity")
	}
	return r
}

// waivers decodes a list of waivers.
func (d *decoder) waivers(n *yaml.Node) []Waiver {
	if !d.expectKind(n, yaml.SequenceNode, "waivers") {
		return nil
	}
	var out []Waiver
	seen := map[string]Position{}
	for _, item := range n.Content {
		w, ok := d.waiver(item)
		if !ok {
			continue
		}
		if first, dup := seen[w.ID]; dup {
			d.errorf(item, "waiver for %s is given twice (first at %s)", w.ID, first)
			continue
		}
		seen[w.ID] = w.Pos
		out = append(out, w)
	}
	return out
}

// waiver decodes one waiver; every field is required.
func (d *decoder) waiver(n *yaml.Node) (Waiver, bool) {
	what := "waiver"
	if id := peek(n, "id"); id != "" {
		what = "waiver for " + id
	}
	f, ok := d.mapping(n, what, "id", "until", "reason")
	if !ok {
		return Waiver{}, false
	}
	w := Waiver{Pos: d.pos(n)}
	var idOK, untilOK, reasonOK bool
	if v := d.required(f, "id"); v != nil {
		w.ID, idOK = d.str(v, "waiver id")
	}
	if v := d.required(f, "until"); v != nil {
		w.Until, untilOK = d.until(v)
	}
	if v := d.required(f, "reason"); v != nil {
		w.Reason, reasonOK = d.str(v, "waiver reason")
	}
	return w, idOK && untilOK && reasonOK
}

// until reads a waiver's end: a date, meaning the end of that day in UTC,
// or an RFC 3339 time.
func (d *decoder) until(n *yaml.Node) (time.Time, bool) {
	s, ok := d.str(n, "waiver until")
	if !ok {
		return time.Time{}, false
	}
	if t, err := time.Parse(dateLayout, s); err == nil {
		return t.AddDate(0, 0, 1).Add(-time.Nanosecond), true
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		d.errorf(n, "waiver until %q is neither a date (YYYY-MM-DD) nor an RFC 3339 time", s)
		return time.Time{}, false
	}
	return t, true
}

// String describes the waiver for reports.
func (w Waiver) String() string {
	return fmt.Sprintf("%s until %s (%s)", w.ID, w.Until.Format(time.RFC3339), w.Reason)
}
