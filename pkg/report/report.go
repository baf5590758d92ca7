// Package report renders verification reports for people and machines:
// an aligned table for terminals, the versioned JSON document that
// docs/verify-report.md describes, a SARIF 2.1.0 log for code-scanning
// services such as GitHub's, and JUnit XML for CI test views.
package report

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/vouchsec/vouch/verify"
)

// Format names an output format.
type Format string

// The formats.
const (
	Table Format = "table"
	JSON  Format = "json"
	SARIF Format = "sarif"
	JUnit Format = "junit"
)

// Formats returns every format, in the order help texts name them.
func Formats() []Format { return []Format{Table, JSON, SARIF, JUnit} }

// ParseFormat checks a format name given on the command line against the
// allowed formats, every format when none are given.
func ParseFormat(s string, allowed ...Format) (Format, error) {
	if len(allowed) == 0 {
		allowed = Formats()
	}
	for _, f := range allowed {
		if Format(s) == f {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown output format %q (want %s)", s, names(allowed))
}

// names renders formats as "a, b or c".
func names(fs []Format) string {
	s := ""
	for i, f := range fs {
		switch {
		case i == 0:
		case i == len(fs)-1:
			s += " or "
		default:
			s += ", "
		}
		s += string(f)
	}
	return s
}

// Options tune how a report is rendered. The zero value is ready to use.
type Options struct {
	// ToolVersion is vouch's version, which SARIF logs record; empty
	// leaves it out.
	ToolVersion string
}

// Write renders rep in format f.
func Write(w io.Writer, f Format, rep *verify.Report, opts Options) error {
	switch f {
	case JSON:
		return WriteJSON(w, rep)
	case SARIF:
		return WriteSARIF(w, rep, opts)
	case JUnit:
		return WriteJUnit(w, rep)
	case Table:
		return WriteTable(w, rep)
	}
	return fmt.Errorf("unknown output format %q", f)
}

// WriteJSON writes the report as indented JSON.
func WriteJSON(w io.Writer, rep *verify.Report) error {
	return writeIndented(w, rep)
}

func writeIndented(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
