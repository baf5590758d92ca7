package policy

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Load reads and validates the policy file at path. Key files named in the
// policy are resolved against the directory path is in. Every error is an
// *Error or an [ErrorList] of them, except an error reading the file itself.
func Load(path string) (*Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading policy: %w", err)
	}
	return Parse(path, data)
}

// Parse validates a policy file's contents. path is used in error positions
// and to resolve relative key paths; the key files are read from disk.
// A single problem is returned as an *Error, several as an [ErrorList].
func Parse(path string, data []byte) (*Policy, error) {
	d := &decoder{file: path, dir: filepath.Dir(path)}
	root := d.document(data)
	if root == nil {
		return nil, d.err()
	}
	p := d.policy(root)
	if err := d.err(); err != nil {
		return nil, err
	}
	p.Path = path
	return p, nil
}

// decoder walks a policy's YAML tree and collects every problem it meets.
type decoder struct {
	file string
	dir  string
	errs ErrorList
}

func (d *decoder) pos(n *yaml.Node) Position {
	return Position{File: d.file, Line: n.Line, Column: n.Column}
}

func (d *decoder) errorf(n *yaml.Node, format string, args ...any) {
	d.errs = append(d.errs, &Error{Pos: d.pos(n), Msg: fmt.Sprintf(format, args...)})
}

func (d *decoder) wrap(n *yaml.Node, err error, format string, args ...any) {
	d.errs = append(d.errs, &Error{Pos: d.pos(n), Msg: fmt.Sprintf(format, args...), Err: err})
}

// err returns the problems found, in file order: nil, one *Error, or an
// ErrorList.
func (d *decoder) err() error {
	slices.SortStableFunc(d.errs, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Column, b.Pos.Column))
	})
	switch len(d.errs) {
	case 0:
		return nil
	case 1:
		return d.errs[0]
	}
	return d.errs
}

// document parses data as exactly one YAML document and returns its root
// node, or nil after recording why it cannot.
func (d *decoder) document(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.errs = append(d.errs, &Error{Pos: Position{d.file, 1, 1}, Msg: "policy file is empty"})
		} else {
			d.syntaxError(err)
		}
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		d.errorf(&extra, "policy file holds more than one YAML document")
	case !errors.Is(err, io.EOF):
		d.syntaxError(err)
	}
	if len(doc.Content) == 0 {
		d.errorf(&doc, "policy file is empty")
		return nil
	}
	root := doc.Content[0]
	d.rejectAliases(root)
	if len(d.errs) > 0 {
		return nil
	}
	return root
}

// syntaxError records a YAML syntax error. yaml.v3 gives the line, when it
// knows it, in the message and never the column, so the position points at
// the start of the line.
func (d *decoder) syntaxError(err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 1
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		num, tail, found := strings.Cut(rest, ": ")
		if n, convErr := strconv.Atoi(num); found && convErr == nil && n > 0 {
			line, msg = n, tail
			if isParserProblem(msg) {
				line++
			}
		}
	}
	d.errs = append(d.errs, &Error{Pos: Position{d.file, line, 1}, Msg: "invalid YAML: " + msg})
}

// isParserProblem tells yaml.v3's parser problems, whose line numbers
// start at zero, from its scanner's, whose start at one.
func isParserProblem(msg string) bool {
	switch msg {
	case "did not find expected <stream-start>",
		"did not find expected <document start>",
		"did not find expected node content",
		"did not find expected '-' indicator",
		"did not find expected key",
		"did not find expected ',' or ']'",
		"did not find expected ',' or '}'",
		"found undefined tag handle",
		"found duplicate %YAML directive",
		"found incompatible YAML document",
		"found duplicate %TAG directive":
		return true
	}
	return false
}

// rejectAliases refuses YAML aliases: a policy is reviewed as written, and
// expanding aliases could multiply the document's size.
func (d *decoder) rejectAliases(n *yaml.Node) {
	if n.Kind == yaml.AliasNode {
		d.errorf(n, "YAML aliases (*%s) are not allowed in a policy; write the value out", n.Value)
		return
	}
	for _, c := range n.Content {
		d.rejectAliases(c)
	}
}
