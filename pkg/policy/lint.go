package policy

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"gopkg.in/yaml.v3"
)

// FindingLevel says how serious a lint finding is.
type FindingLevel string

// The levels of a lint finding.
const (
	// FindingError is a problem the loader refuses: the policy cannot be
	// used until it is fixed.
	FindingError FindingLevel = "error"
	// FindingWarning is a policy that loads but that a reviewer should
	// look at twice.
	FindingWarning FindingLevel = "warning"
)

// The checks [Lint] runs, as named in [Finding.Check].
const (
	// LintInvalid is anything the loader refuses.
	LintInvalid = "invalid"
	// LintScopeOverlap is two policies whose scopes can match the same
	// repository, so that an image there must pass both.
	LintScopeOverlap = "scope-overlap"
	// LintScopeDuplicate is a scope glob given twice in one policy.
	LintScopeDuplicate = "scope-duplicate"
	// LintScopeUnmatchable is a scope glob no repository name can match.
	LintScopeUnmatchable = "scope-unmatchable"
	// LintRegexpUnanchored is a regular expression without ^ at the start
	// or $ at the end, which matches more than it seems to.
	LintRegexpUnanchored = "regexp-unanchored"
	// LintSignerUnused is a signer no policy refers to.
	LintSignerUnused = "signer-unused"
	// LintSignerRepeated is a signer named twice in one list, or in anyOf
	// when allOf requires it anyway.
	LintSignerRepeated = "signer-repeated"
	// LintWaiverExpired is a waiver whose until has passed.
	LintWaiverExpired = "waiver-expired"
	// LintNotationLevel is a notation signer at level audit or skip.
	LintNotationLevel = "notation-level"
	// LintNotationAnyIdentity is a notation signer trusting identity "*".
	LintNotationAnyIdentity = "notation-any-identity"
	// LintKeylessRepositoryUnpinned is a GitHub Actions keyless signer
	// whose identity is a subjectRegexp and whose claims pin no
	// repository, so that the regexp alone decides which repositories'
	// workflows count.
	LintKeylessRepositoryUnpinned = "keyless-repository-unpinned"
	// LintSkipVerification is a policy that admits its scope unchecked.
	LintSkipVerification = "skip-verification"
	// LintVulnNoMaxAge is a vuln attestation requirement without maxAge.
	LintVulnNoMaxAge = "vuln-no-max-age"
	// LintVulnNoRules is a vuln attestation requirement without rules.
	LintVulnNoRules = "vuln-no-rules"
)

// Finding is one problem [Lint] found in a policy file.
type Finding struct {
	Pos   Position
	Level FindingLevel
	// Check names what was checked, one of the Lint constants.
	Check string
	// Message says what is wrong, in lower case.
	Message string
}

// String formats f as "file:line:col: level: message".
func (f Finding) String() string {
	return fmt.Sprintf("%s: %s: %s", f.Pos, f.Level, f.Message)
}

// LintFile reads the policy file at path and lints it as of now. The
// error is only for a file that cannot be read; problems in it are
// findings.
func LintFile(path string, now time.Time) ([]Finding, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading policy: %w", err)
	}
	return Lint(path, data, now), nil
}

// Lint checks a policy file's contents, as [Parse] does, and returns every
// problem it has in file order: an error finding for each problem the
// loader refuses, and a warning for each thing that loads but weakens the
// policy or is likely a mistake (see the Lint constants). Waivers are
// judged as of now. Most warnings need a file that loads; with errors,
// only those read from the YAML alone are given.
func Lint(path string, data []byte, now time.Time) []Finding {
	p, err := Parse(path, data)
	var out []Finding
	if err != nil {
		out = loadFindings(path, err)
	}
	l := &linter{file: path, tree: lintTree(data), now: now}
	l.regexps()
	if p != nil {
		l.policy(p)
	}
	out = append(out, l.out...)
	slices.SortStableFunc(out, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Column, b.Pos.Column),
			cmp.Compare(levelRank(a.Level), levelRank(b.Level)))
	})
	return out
}

func levelRank(l FindingLevel) int {
	if l == FindingError {
		return 0
	}
	return 1
}

// loadFindings turns the loader's errors into error findings.
func loadFindings(path string, err error) []Finding {
	var list ErrorList
	var one *Error
	switch {
	case errors.As(err, &list):
	case errors.As(err, &one):
		list = ErrorList{one}
	default:
		return []Finding{{Pos: Position{File: path}, Level: FindingError,
			Check: LintInvalid, Message: err.Error()}}
	}
	out := make([]Finding, 0, len(list))
	for _, e := range list {
		msg := e.Msg
		if e.Err != nil {
			msg += ": " + e.Err.Error()
		}
		out = append(out, Finding{Pos: e.Pos, Level: FindingError, Check: LintInvalid, Message: msg})
	}
	return out
}

// linter collects warnings about one policy file.
type linter struct {
	file string
	// tree is the file's root mapping, for the positions a loaded Policy
	// does not keep; nil when the file is not a YAML mapping.
	tree *yaml.Node
	now  time.Time
	out  []Finding
}

func (l *linter) warn(pos Position, check, format string, args ...any) {
	l.out = append(l.out, Finding{Pos: pos, Level: FindingWarning, Check: check,
		Message: fmt.Sprintf(format, args...)})
}

// policy runs the checks that need a loaded policy.
func (l *linter) policy(p *Policy) {
	l.scopes(p)
	l.signers(p)
	for _, ip := range p.Policies {
		l.imagePolicy(ip)
	}
}
