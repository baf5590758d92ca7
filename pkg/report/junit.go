package report

import (
	"encoding/xml"
	"io"
	"strings"

	"github.com/vouchsec/vouch/verify"
)

// WriteJUnit writes the report as JUnit XML, the dialect CI systems
// (Jenkins, GitLab, GitHub Actions reporters) read: one testsuite per
// image, named by its reference, with one testcase per requirement of
// every policy that applies (the requirement is the test's name, the
// policy its class name). A failed requirement is a failure whose message
// is the reason; an image that could not be checked is one testcase,
// "verify" of class "vouch", with an error.
func WriteJUnit(w io.Writer, rep *verify.Report) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(junitOf(rep)); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitProblem `xml:"failure"`
	Error     *junitProblem `xml:"error"`
	SystemOut string        `xml:"system-out,omitempty"`
}

// junitProblem is a failure or an error: a one-line message, a type, and
// the detail as text.
type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// junitTime is the timestamp format of the JUnit schema: ISO 8601 without
// a zone, here always UTC.
const junitTime = "2006-01-02T15:04:05"

func junitOf(rep *verify.Report) *junitSuites {
	out := &junitSuites{Name: "vouch verify", Suites: []junitSuite{}}
	for _, img := range rep.Images {
		s := junitSuite{
			Name:      img.Reference,
			Timestamp: rep.Time.UTC().Format(junitTime),
			Properties: []junitProperty{
				{Name: "policy", Value: rep.Policy},
				{Name: "status", Value: string(img.Status)},
			},
		}
		if img.Digest != "" {
			s.Properties = append(s.Properties, junitProperty{Name: "digest", Value: img.Digest})
		}
		if img.Repository != "" {
			s.Properties = append(s.Properties, junitProperty{Name: "repository", Value: img.Repository})
		}
		if img.Status == verify.StatusError {
			s.Cases = append(s.Cases, junitCase{Name: "verify", Classname: "vouch",
				Error: &junitProblem{Message: img.Error, Type: "error", Text: img.Error}})
			s.Errors++
		}
		for _, p := range img.Policies {
			for _, c := range p.Checks {
				tc := junitCaseOf(p.Name, c)
				if tc.Failure != nil {
					s.Failures++
				}
				s.Cases = append(s.Cases, tc)
			}
		}
		s.Tests = len(s.Cases)
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Errors += s.Errors
		out.Suites = append(out.Suites, s)
	}
	return out
}

// junitCaseOf is one requirement: its reason and waived findings as
// output, or as the failure when it is not met.
func junitCaseOf(policy string, c verify.Check) junitCase {
	tc := junitCase{Name: c.Requirement, Classname: policy}
	lines := []string{c.Reason}
	if c.Position != "" {
		lines = append(lines, "at "+c.Position)
	}
	for _, w := range c.Waived {
		lines = append(lines, "waived: "+w)
	}
	detail := strings.Join(lines, "\n")
	if c.Passed {
		tc.SystemOut = detail
		return tc
	}
	tc.Failure = &junitProblem{Message: c.Reason, Type: "policy", Text: detail}
	return tc
}
