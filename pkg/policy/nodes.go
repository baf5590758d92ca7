package policy

import (
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// fields holds the entries of a YAML mapping by key.
type fields struct {
	node *yaml.Node
	what string
	keys map[string]*yaml.Node
	vals map[string]*yaml.Node
}

// value returns the value for key, or nil when the key is absent.
func (f *fields) value(key string) *yaml.Node { return f.vals[key] }

// mapping checks that n is a mapping whose keys are all among known and
// given once, and returns its entries. what names n in error messages.
func (d *decoder) mapping(n *yaml.Node, what string, known ...string) (*fields, bool) {
	if !d.expectKind(n, yaml.MappingNode, what) {
		return nil, false
	}
	f := &fields{node: n, what: what, keys: map[string]*yaml.Node{}, vals: map[string]*yaml.Node{}}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, "%s has a key that is %s; keys must be field names", what, describe(k))
			continue
		}
		switch {
		case !slices.Contains(known, k.Value):
			d.errorf(k, "unknown field %q in %s; expected one of %s",
				k.Value, what, strings.Join(known, ", "))
		case f.keys[k.Value] != nil:
			d.errorf(k, "field %q is given twice in %s", k.Value, what)
		default:
			f.keys[k.Value], f.vals[k.Value] = k, v
		}
	}
	return f, true
}

// required returns the value for key, recording an error when it is absent.
func (d *decoder) required(f *fields, key string) *yaml.Node {
	v := f.value(key)
	if v == nil {
		d.errorf(f.node, "%s is missing required field %q", f.what, key)
	}
	return v
}

// expectKind records an error unless n is of the kind wanted.
func (d *decoder) expectKind(n *yaml.Node, kind yaml.Kind, what string) bool {
	if n.Kind == kind {
		return true
	}
	if isNull(n) {
		d.errorf(n, "%s is empty", what)
		return false
	}
	d.errorf(n, "%s must be %s, not %s", what, describeKind(kind), describe(n))
	return false
}

// str returns n's value when it is a non-empty scalar.
func (d *decoder) str(n *yaml.Node, what string) (string, bool) {
	if !d.expectKind(n, yaml.ScalarNode, what) {
		return "", false
	}
	if n.Value == "" {
		d.errorf(n, "%s is empty", what)
		return "", false
	}
	// A null written out (null, ~) is no value, not the string "null".
	if n.Style == 0 && n.ShortTag() == "!!null" {
		d.errorf(n, "%s is null; give a value, or leave the field out", what)
		return "", false
	}
	return n.Value, true
}

// strList returns the items of a non-empty list of strings with their
// nodes. Items that are not strings are reported and left out.
func (d *decoder) strList(n *yaml.Node, what string) ([]string, []*yaml.Node, bool) {
	if !d.expectKind(n, yaml.SequenceNode, what) {
		return nil, nil, false
	}
	if len(n.Content) == 0 {
		d.errorf(n, "%s is empty", what)
		return nil, nil, false
	}
	var vals []string
	var nodes []*yaml.Node
	for _, item := range n.Content {
		if v, ok := d.str(item, what+" entry"); ok {
			vals = append(vals, v)
			nodes = append(nodes, item)
		}
	}
	return vals, nodes, len(vals) == len(n.Content)
}

// peek returns the string value of key in mapping n without checking
// anything, to name the mapping in messages; "" when there is none.
func peek(n *yaml.Node, key string) string {
	if n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value == key && v.Kind == yaml.ScalarNode && !isNull(v) {
			return v.Value
		}
	}
	return ""
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func describe(n *yaml.Node) string {
	if isNull(n) {
		return "empty"
	}
	return describeKind(n.Kind)
}

// describeValue is describe, except that a scalar is shown quoted.
func describeValue(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode && !isNull(n) {
		return strconv.Quote(n.Value)
	}
	return describe(n)
}

func describeKind(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "a string"
	case yaml.AliasNode:
		return "an alias"
	}
	return "a document"
}
