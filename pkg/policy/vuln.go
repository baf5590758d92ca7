package policy

import (
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// dateLayout is the form of a waiver's until date.
const dateLayout = "2006-01-02"

// vulnRules decodes the rules of a vuln attestation.
func (d *decoder) vulnRules(n *yaml.Node) *VulnRules {
	f, ok := d.mapping(n, "vuln rules", "maxSeverity", "maxCount", "fixedOnly", "waivers")
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
	if v := f.value("maxCount"); v != nil {
		r.MaxCount = d.maxCount(v)
	}
	limited := f.value("maxSeverity") != nil || f.value("maxCount") != nil
	if v := f.value("fixedOnly"); v != nil {
		r.FixedOnly, _ = d.boolean(v, "fixedOnly")
		if !limited {
			d.errorf(f.keys["fixedOnly"], "fixedOnly has no effect without maxSeverity or maxCount")
		}
	}
	if v := f.value("waivers"); v != nil {
		r.Waivers = d.waivers(v)
		if !limited {
			d.errorf(f.keys["waivers"], "waivers have no effect without maxSeverity or maxCount")
		}
	}
	if len(n.Content) == 0 {
		d.errorf(n, "rules is empty; give maxSeverity or maxCount")
	}
	return r
}

// maxCount decodes a mapping from severity to the most findings of that
// severity allowed.
func (d *decoder) maxCount(n *yaml.Node) map[Severity]int {
	if !d.expectKind(n, yaml.MappingNode, "maxCount") {
		return nil
	}
	if len(n.Content) == 0 {
		d.errorf(n, "maxCount is empty; give a limit for at least one severity")
		return nil
	}
	out := map[Severity]int{}
	seen := map[Severity]Position{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name, ok := d.str(k, "maxCount severity")
		if !ok {
			continue
		}
		sev, err := ParseSeverity(name)
		if err != nil {
			d.errorf(k, "maxCount: %v", err)
			continue
		}
		if first, dup := seen[sev]; dup {
			d.errorf(k, "maxCount gives %s twice (first at %s)", sev, first)
			continue
		}
		seen[sev] = d.pos(k)
		if c, ok := d.count(v, "maxCount "+sev.String()); ok {
			out[sev] = c
		}
	}
	return out
}

// count decodes a non-negative YAML integer.
func (d *decoder) count(n *yaml.Node, what string) (int, bool) {
	var c int
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || n.Decode(&c) != nil {
		d.errorf(n, "%s must be a whole number, not %s", what, describeValue(n))
		return 0, false
	}
	if c < 0 {
		d.errorf(n, "%s is %d; it must not be negative", what, c)
		return 0, false
	}
	return c, true
}

// waivers decodes a list of waivers.
func (d *decoder) waivers(n *yaml.Node) []Waiver {
	if !d.expectKind(n, yaml.SequenceNode, "waivers") {
		return nil
	}
	var out []Waiver
	seen := map[[2]string]Position{}
	for _, item := range n.Content {
		w, ok := d.waiver(item)
		if !ok {
			continue
		}
		key := [2]string{strings.ToLower(w.ID), w.Package}
		if first, dup := seen[key]; dup {
			d.errorf(item, "%s is given twice (first at %s)", waiverName(w.ID, w.Package), first)
			continue
		}
		seen[key] = w.Pos
		out = append(out, w)
	}
	return out
}

func waiverName(id, pkg string) string {
	if pkg == "" {
		return "waiver for " + id
	}
	return "waiver for " + id + " in " + pkg
}

// waiver decodes one waiver; id, until and reason are required.
func (d *decoder) waiver(n *yaml.Node) (Waiver, bool) {
	what := "waiver"
	if id := peek(n, "id"); id != "" {
		what = waiverName(id, peek(n, "package"))
	}
	f, ok := d.mapping(n, what, "id", "package", "until", "reason")
	if !ok {
		return Waiver{}, false
	}
	w := Waiver{Pos: d.pos(n)}
	var idOK, untilOK, reasonOK bool
	pkgOK := true
	if v := d.required(f, "id"); v != nil {
		w.ID, idOK = d.str(v, "waiver id")
	}
	if v := f.value("package"); v != nil {
		w.Package, pkgOK = d.str(v, "waiver package")
	}
	if v := d.required(f, "until"); v != nil {
		w.Until, untilOK = d.until(v)
	}
	if v := d.required(f, "reason"); v != nil {
		w.Reason, reasonOK = d.str(v, "waiver reason")
		if reasonOK && strings.TrimSpace(w.Reason) == "" {
			d.errorf(v, "waiver reason is blank; say why the risk is accepted")
			reasonOK = false
		}
	}
	return w, idOK && pkgOK && untilOK && reasonOK
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
	id := w.ID
	if w.Package != "" {
		id += " in " + w.Package
	}
	return fmt.Sprintf("%s until %s (%s)", id, w.Until.Format(time.RFC3339), w.Reason)
}
