package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/vouchsec/vouch/pkg/policy"
)

// lintFlags are the flags of vouch policy lint.
type lintFlags struct {
	output, at string
	strict     bool
}

func newPolicyLintCmd(*globals) *cobra.Command {
	var f lintFlags
	cmd := &cobra.Command{
		Use:   "lint FILE",
		Short: "Check a trust policy file for errors and for what a reviewer should look at",
		Long: `Check a trust policy file. Errors are everything vouch refuses to load the
file for; warnings are things that load but are likely mistakes or weaken
the policy: scopes of two policies that can match the same repository (an
image there must pass both), scopes no repository can match, regular
expressions not anchored with ^ and $, signers no policy uses, signers named
twice, waivers already expired, notation signers at level audit or skip or
trusting any identity, policies that skip verification, and vuln
attestations without maxAge or rules.

Each finding is printed on one line as file:line:column: error|warning:
message, in file order; -o json prints them as a JSON document instead.
Waivers are judged as of now, or as of --at (an RFC 3339 time or a date,
meaning its start in UTC).

Exit codes: 0 no errors (warnings alone do not fail, unless --strict);
1 warnings and --strict; 2 errors, or a file that cannot be read.`,
		Example: `  vouch policy lint trust-policy.yaml
  vouch policy lint --strict --at 2027-01-01 -o json trust-policy.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return policyLint(cmd.OutOrStdout(), args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", "text", "output format: text or json")
	fl.StringVar(&f.at, "at", "", "judge waivers as of this time (RFC 3339, or YYYY-MM-DD) instead of now")
	fl.BoolVar(&f.strict, "strict", false, "exit 1 when there are warnings")
	return cmd
}

func policyLint(w io.Writer, file string, f lintFlags) error {
	if f.output != "text" && f.output != "json" {
		return usageErr(fmt.Errorf("-o %q: want text or json", f.output))
	}
	now, err := lintTime(f.at)
	if err != nil {
		return usageErr(err)
	}
	findings, err := policy.LintFile(file, now)
	if err != nil {
		return usageErr(err)
	}
	errs, warns := 0, 0
	for _, fd := range findings {
		if fd.Level == policy.FindingError {
			errs++
		} else {
			warns++
		}
	}
	if f.output == "json" {
		err = writeLintJSON(w, file, now, findings, errs, warns)
	} else {
		err = writeLintText(w, findings)
	}
	if err != nil {
		return fmt.Errorf("writing findings: %w", err)
	}
	summary := fmt.Errorf("%s: %s, %s", file, plural(errs, "error"), plural(warns, "warning"))
	switch {
	case errs > 0:
		return usageErr(summary)
	case warns > 0 && f.strict:
		return policyErr(summary)
	}
	return nil
}

// lintTime reads --at: an RFC 3339 time, or a date meaning its start in
// UTC; empty is now.
func lintTime(s string) (time.Time, error) {
	if s == "" {
		return time.Now(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, errors.New("--at: want an RFC 3339 time or a date (YYYY-MM-DD), got " +
			fmt.Sprintf("%q", s))
	}
	return t, nil
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func writeLintText(w io.Writer, findings []policy.Finding) error {
	for _, f := range findings {
		if _, err := fmt.Fprintln(w, f); err != nil {
			return err
		}
	}
	return nil
}

// lintReport is the JSON form of vouch policy lint's output.
type lintReport struct {
	File     string        `json:"file"`
	At       time.Time     `json:"at"`
	Errors   int           `json:"errors"`
	Warnings int           `json:"warnings"`
	Findings []lintFinding `json:"findings"`
}

type lintFinding struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Severity string `json:"severity"`
	Check    string `json:"check"`
	Message  string `json:"message"`
}

func writeLintJSON(w io.Writer, file string, at time.Time, findings []policy.Finding,
	errs, warns int) error {
	rep := lintReport{File: file, At: at.UTC(), Errors: errs, Warnings: warns,
		Findings: make([]lintFinding, 0, len(findings))}
	for _, f := range findings {
		rep.Findings = append(rep.Findings, lintFinding{
			File: f.Pos.File, Line: f.Pos.Line, Column: f.Pos.Column,
			Severity: string(f.Level), Check: f.Check, Message: f.Message,
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}
