package policy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"gopkg.in/yaml.v3"
)

// RegoPackage is the package a policy's Rego module must declare, and
// RegoQuery what vouch evaluates: the module's deny set.
const (
	RegoPackage = "vouch"
	RegoQuery   = "data.vouch.deny"
)

// maxRegoFileSize bounds what is read from a Rego file.
const maxRegoFileSize = 1 << 20

// RegoRule is a custom rule in Rego (v1 syntax): a module in package vouch
// whose deny set holds a message for every reason to refuse the image. It
// is compiled when the policy is loaded, with no access to the network or
// the environment: the built-ins http.send, net.* and opa.runtime are not
// available to it.
type RegoRule struct {
	// Path is the Rego file as the policy writes it.
	Path string
	// File is Path resolved against the policy file's directory.
	File string
	// Pos is where the rule is named in the policy file.
	Pos Position

	query *rego.PreparedEvalQuery
}

// RegoError is a problem in a Rego module, at a line and column of its
// file.
type RegoError struct {
	File         string
	Line, Column int
	Msg          string
}

func (e *RegoError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
}

// RegoErrors are all the problems found in a Rego module.
type RegoErrors []*RegoError

func (l RegoErrors) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; ")
}

// deniedBuiltin reports whether a Rego built-in is kept from policies:
// those that reach the network or read the process's environment.
func deniedBuiltin(name string) bool {
	return name == "http.send" || name == "opa.runtime" || strings.HasPrefix(name, "net.")
}

// regoCapabilities are OPA's capabilities without the denied built-ins,
// and with no host allowed for the network access that capabilities
// govern (remote JSON schemas).
func regoCapabilities() *ast.Capabilities {
	caps := ast.CapabilitiesForThisVersion()
	caps.Builtins = slices.DeleteFunc(caps.Builtins, func(b *ast.Builtin) bool {
		return deniedBuiltin(b.Name)
	})
	caps.AllowNet = []string{}
	return caps
}

// CompileRego parses and compiles the Rego module src, read from file
// (which names it in errors). Its problems are a [RegoErrors].
func CompileRego(file string, src []byte) (*RegoRule, error) {
	caps := regoCapabilities()
	mod, err := ast.ParseModuleWithOpts(file, string(src),
		ast.ParserOptions{RegoVersion: ast.RegoV1, Capabilities: caps})
	if err != nil {
		return nil, regoErrors(file, err)
	}
	if err := checkRegoModule(file, mod); err != nil {
		return nil, err
	}
	q, err := rego.New(
		rego.Query(RegoQuery),
		rego.ParsedModule(mod),
		rego.Capabilities(caps),
		rego.SetRegoVersion(ast.RegoV1),
		rego.StrictBuiltinErrors(true),
	).PrepareForEval(context.Background())
	if err != nil {
		return nil, regoErrors(file, err)
	}
	return &RegoRule{File: file, query: &q}, nil
}

// checkRegoModule checks that mod is in package vouch and defines deny as
// a set of messages.
func checkRegoModule(file string, mod *ast.Module) error {
	at := func(loc *ast.Location, format string, args ...any) error {
		e := &RegoError{File: file, Line: 1, Column: 1, Msg: fmt.Sprintf(format, args...)}
		if loc != nil {
			e.Line, e.Column = loc.Row, loc.Col
		}
		return RegoErrors{e}
	}
	want := ast.MustParseRef("data." + RegoPackage)
	if !mod.Package.Path.Equal(want) {
		return at(mod.Package.Location, "package %s: a vouch policy module must be package %s",
			strings.TrimPrefix(mod.Package.Path.String(), "data."), RegoPackage)
	}
	found := false
	for _, r := range mod.Rules {
		ref := r.Head.Ref()
		if !ref[0].Equal(ast.VarTerm("deny")) {
			continue
		}
		if len(ref) != 1 || r.Head.RuleKind() != ast.MultiValue || r.Default {
			return at(r.Location, "deny must be a set of messages: "+
				"write deny contains msg if { ... }")
		}
		found = true
	}
	if !found {
		return at(mod.Package.Location, "the module defines no deny rule: "+
			"write deny contains msg if { ... }")
	}
	return nil
}

// regoErrors converts OPA's errors into RegoErrors, naming the built-ins
// vouch keeps from policies.
func regoErrors(file string, err error) error {
	var errs ast.Errors
	if !errors.As(err, &errs) {
		var one *ast.Error
		if !errors.As(err, &one) {
			return RegoErrors{{File: file, Line: 1, Column: 1, Msg: err.Error()}}
		}
		errs = ast.Errors{one}
	}
	out := make(RegoErrors, 0, len(errs))
	for _, e := range errs {
		re := &RegoError{File: file, Line: 1, Column: 1, Msg: e.Code + ": " + e.Message}
		if e.Location != nil {
			re.Line, re.Column = e.Location.Row, max(e.Location.Col, 1)
			if e.Location.File != "" {
				re.File = e.Location.File
			}
		}
		if fn, ok := strings.CutPrefix(e.Message, "undefined function "); ok && deniedBuiltin(fn) {
			re.Msg += " (vouch policies have no network or runtime access)"
		}
		out = append(out, re)
	}
	return out
}

// Eval evaluates the rule over input, with now as the time built-ins such
// as time.now_ns see, and returns the messages of its deny set, sorted. A
// message that is not a string is given as JSON. ctx bounds the
// evaluation: give it a deadline.
func (r *RegoRule) Eval(ctx context.Context, input any, now time.Time) ([]string, error) {
	if r.query == nil {
		return nil, fmt.Errorf("rego %s was not compiled; load it with CompileRego", r.Path)
	}
	rs, err := r.query.Eval(ctx, rego.EvalInput(input), rego.EvalTime(now))
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("evaluation stopped: %w", ctx.Err())
		}
		return nil, err
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return nil, errors.New("deny is undefined")
	}
	set, ok := rs[0].Expressions[0].Value.([]any)
	if !ok {
		return nil, fmt.Errorf("deny is not a set but %T", rs[0].Expressions[0].Value)
	}
	msgs := make([]string, 0, len(set))
	for _, m := range set {
		if s, ok := m.(string); ok {
			msgs = append(msgs, s)
			continue
		}
		b, err := json.Marshal(m)
		if err != nil {
			return nil, fmt.Errorf("deny message: %w", err)
		}
		msgs = append(msgs, string(b))
	}
	slices.Sort(msgs)
	return msgs, nil
}

// rego decodes a rego field and compiles the module it names.
func (d *decoder) rego(n *yaml.Node) *RegoRule {
	p, ok := d.str(n, "rego")
	if !ok {
		return nil
	}
	file := d.resolve(p)
	src, err := readBounded(file, maxRegoFileSize)
	if err != nil {
		d.wrap(n, err, "rego %s", p)
		return nil
	}
	r, err := CompileRego(file, src)
	if err != nil {
		d.wrap(n, err, "rego %s does not compile", p)
		return nil
	}
	r.Path, r.Pos = p, d.pos(n)
	return r
}
