package policy

import (
	"regexp/syntax"
	"strings"

	"gopkg.in/yaml.v3"
)

// regexps warns about unanchored regular expressions: the value of any
// field whose name ends in "Regexp" (such as a keyless signer's
// subjectRegexp), wherever it is in the file. It reads the YAML alone, so
// that it also works on a file the loader refuses.
func (l *linter) regexps() {
	l.walkRegexps(l.tree)
}

func (l *linter) walkRegexps(n *yaml.Node) {
	if n == nil {
		return
	}
	if n.Kind == yaml.MappingNode {
		yamlEntries(n, func(k, v *yaml.Node) {
			if strings.HasSuffix(k.Value, "Regexp") {
				l.regexpValue(k.Value, v)
			}
		})
	}
	for _, c := range n.Content {
		l.walkRegexps(c)
	}
}

// regexpValue checks a regexp field's value: one expression or a list.
func (l *linter) regexpValue(field string, v *yaml.Node) {
	vals := []*yaml.Node{v}
	if v.Kind == yaml.SequenceNode {
		vals = v.Content
	}
	for _, n := range vals {
		if n.Kind != yaml.ScalarNode {
			continue
		}
		re, err := syntax.Parse(n.Value, syntax.Perl)
		if err != nil {
			continue // The loader's to report.
		}
		start, end := anchoredStart(re), anchoredEnd(re)
		var problem string
		switch {
		case !start && !end:
			problem = "is anchored at neither end: begin it with ^ and end it with $"
		case !start:
			problem = "is not anchored at the start: begin it with ^"
		case !end:
			problem = "is not anchored at the end: end it with $ (.*$ if any ending is meant)"
		default:
			continue
		}
		l.warn(l.pos(n), LintRegexpUnanchored, "%s %q %s. vouch anchors it anyway (the whole "+
			"value must match), but the file should read as it applies, and the same "+
			"expression given to cosign, which does not anchor, would accept more", field, n.Value, problem)
	}
}

// anchoredStart reports whether every match of re starts at the
// beginning of the text.
func anchoredStart(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpBeginText:
		return true
	case syntax.OpCapture:
		return anchoredStart(re.Sub[0])
	case syntax.OpConcat:
		return len(re.Sub) > 0 && anchoredStart(re.Sub[0])
	case syntax.OpAlternate:
		for _, s := range re.Sub {
			if !anchoredStart(s) {
				return false
			}
		}
		return true
	}
	return false
}

// anchoredEnd reports whether every match of re ends at the end of the
// text.
func anchoredEnd(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpEndText:
		return true
	case syntax.OpCapture:
		return anchoredEnd(re.Sub[0])
	case syntax.OpConcat:
		return len(re.Sub) > 0 && anchoredEnd(re.Sub[len(re.Sub)-1])
	case syntax.OpAlternate:
		for _, s := range re.Sub {
			if !anchoredEnd(s) {
				return false
			}
		}
		return true
	}
	return false
}
