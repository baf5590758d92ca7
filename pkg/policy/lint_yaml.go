package policy

import (
	"bytes"

	"gopkg.in/yaml.v3"
)

// lintTree parses data into a YAML tree for the positions lint reports
// that a loaded [Policy] does not keep. It returns the first document's
// root mapping, or nil when there is none.
func lintTree(data []byte) *yaml.Node {
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		return nil
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	return doc.Content[0]
}

// yamlField returns the key and value nodes of key in mapping n; nil when n
// is nil, not a mapping, or lacks the key.
func yamlField(n *yaml.Node, key string) (k, v *yaml.Node) {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Kind == yaml.ScalarNode && n.Content[i].Value == key {
			return n.Content[i], n.Content[i+1]
		}
	}
	return nil, nil
}

// yamlValue returns the node at the path of mapping keys below n, or nil.
func yamlValue(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		_, n = yamlField(n, k)
	}
	return n
}

// yamlItems returns the entries of sequence n; none when n is not one.
func yamlItems(n *yaml.Node) []*yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}

// yamlEntries calls fn with each key and value of mapping n.
func yamlEntries(n *yaml.Node, fn func(k, v *yaml.Node)) {
	if n == nil || n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		fn(n.Content[i], n.Content[i+1])
	}
}

// nodeAt returns the node of list whose position is pos, or nil.
func nodeAt(list []*yaml.Node, pos Position) *yaml.Node {
	for _, n := range list {
		if n.Line == pos.Line && n.Column == pos.Column {
			return n
		}
	}
	return nil
}

func (l *linter) pos(n *yaml.Node) Position {
	return Position{File: l.file, Line: n.Line, Column: n.Column}
}

// policyNode returns the mapping of the image policy at pos.
func (l *linter) policyNode(pos Position) *yaml.Node {
	return nodeAt(yamlItems(yamlValue(l.tree, "policies")), pos)
}

// listPos returns the position of the i-th entry of the list under keys
// in n, falling back to the position given when the tree has no such
// entry.
func (l *linter) listPos(n *yaml.Node, i int, fallback Position, keys ...string) Position {
	list := yamlItems(yamlValue(n, keys...))
	if i < len(list) {
		return l.pos(list[i])
	}
	return fallback
}
