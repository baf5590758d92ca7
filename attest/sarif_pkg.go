package attest

import (
	"encoding/json"
	"net/url"
	"strings"
)

// pkg finds the affected package of a SARIF result. SARIF has no field for
// it, so it is read from what scanners write: "Package: name" lines in the
// result message (Trivy) or the rule help (Grype), else the first package
// URL in a "purls" property. All three values come from one source.
func (r *sarifResult) pkg(rule *sarifRule) (name, installed, fixed string) {
	texts := []string{r.Message.Text}
	props := []map[string]json.RawMessage{r.Properties}
	if rule != nil {
		if rule.Help != nil {
			texts = append(texts, rule.Help.Text)
		}
		props = append(props, rule.Properties)
	}
	for _, t := range texts {
		if name, installed, fixed = textPackage(t); name != "" {
			return name, installed, fixed
		}
	}
	for _, p := range props {
		if name, installed = purlPackage(p); name != "" {
			return name, installed, ""
		}
	}
	return "", "", ""
}

// textPackage reads "Package:", "Installed Version:" (or "Version:") and
// "Fixed Version:" (or "Fix Version:") lines.
func textPackage(text string) (name, installed, fixed string) {
	fields := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok {
			fields[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	name = fields["Package"]
	if name == "" {
		return "", "", ""
	}
	return name, first(fields["Installed Version"], fields["Version"]),
		first(fields["Fixed Version"], fields["Fix Version"])
}

// purlPackage reads name and version of the first package URL in a
// "purls" property (pkg:type/namespace/name@version?qualifiers#subpath).
func purlPackage(props map[string]json.RawMessage) (name, version string) {
	var purls []string
	if json.Unmarshal(props["purls"], &purls) != nil || len(purls) == 0 {
		return "", ""
	}
	p, ok := strings.CutPrefix(purls[0], "pkg:")
	if !ok {
		return "", ""
	}
	p, _, _ = strings.Cut(p, "#")
	p, _, _ = strings.Cut(p, "?")
	p, version, _ = strings.Cut(p, "@")
	if i := strings.LastIndex(p, "/"); i >= 0 {
		p = p[i+1:]
	}
	name, err := url.PathUnescape(p)
	if err != nil {
		return "", ""
	}
	if version, err = url.PathUnescape(version); err != nil {
		version = ""
	}
	return name, version
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
