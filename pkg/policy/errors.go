package policy

import (
	"fmt"
	"strings"
)

// Position is a place in a policy file. Line and Column start at 1; zero
// means unknown.
type Position struct {
	File   string
	Line   int
	Column int
}

// String formats p as "file:line:col", leaving out the parts that are
// unknown.
func (p Position) String() string {
	s := p.File
	if s == "" {
		s = "-"
	}
	if p.Line > 0 {
		s += fmt.Sprintf(":%d", p.Line)
		if p.Column > 0 {
			s += fmt.Sprintf(":%d", p.Column)
		}
	}
	return s
}

// Error is one problem in a policy file.
type Error struct {
	Pos Position
	// Msg says what is wrong, in lower case.
	Msg string
	// Err is the underlying cause, such as the error from reading a key
	// file; nil when the problem is the policy text itself.
	Err error
}

// Error formats e as "file:line:col: msg", followed by ": cause" when e
// has one.
func (e *Error) Error() string {
	s := e.Pos.String() + ": " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying cause, if any.
func (e *Error) Unwrap() error { return e.Err }

// ErrorList is returned when a policy file has more than one problem. Its
// entries are in file order. errors.As finds the first *Error in it.
type ErrorList []*Error

// Error lists every problem, one a line.
func (l ErrorList) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the entries as errors, for errors.Is and errors.As.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}
