package report_test

import (
	"strings"
	"testing"

	junit "github.com/joshdk/go-junit"

	"github.com/vouchsec/vouch/pkg/report"
)

// TestJUnitParses reads the JUnit output back with a JUnit parser.
func TestJUnitParses(t *testing.T) {
	out := render(t, report.JUnit, sample())
	suites, err := junit.Ingest(out)
	if err != nil {
		t.Fatalf("parsing: %v\n%s", err, out)
	}
	want := []struct {
		name     string
		statuses string
	}{
		{"127.0.0.1:5000/staging/web:2.1.0", "passed passed"},
		{"127.0.0.1:5000/staging/app:1.0.0", "passed failed"},
		{"127.0.0.1:5000/dev/tool@" + appDigest, "failed"},
		{"127.0.0.1:1/staging/gone:1", "error"},
	}
	if len(suites) != len(want) {
		t.Fatalf("%d suites, want %d:\n%s", len(suites), len(want), out)
	}
	for i, s := range suites {
		var statuses []string
		for _, tc := range s.Tests {
			statuses = append(statuses, string(tc.Status))
		}
		if s.Name != want[i].name || strings.Join(statuses, " ") != want[i].statuses {
			t.Errorf("suite %d: %s with %v, want %s with %s",
				i, s.Name, statuses, want[i].name, want[i].statuses)
		}
	}
	if d := suites[0].Properties["digest"]; d != webDigest {
		t.Errorf("suite digest property %q, want %s", d, webDigest)
	}
	vuln := suites[1].Tests[1]
	if vuln.Name != "attestations[0] vuln" || vuln.Classname != "production" ||
		!strings.HasPrefix(vuln.Message, "maxSeverity high: 1 finding(s) above it") {
		t.Errorf("failed test: %+v", vuln)
	}
	if waived := suites[0].Tests[1].SystemOut; !strings.Contains(waived, "waived: CVE-2024-0001") {
		t.Errorf("waived finding not in the passing test's output: %q", waived)
	}
	gone := suites[3].Tests[0]
	if gone.Error == nil || !strings.Contains(gone.Error.Error(), "registry unreachable") {
		t.Errorf("errored image: %+v", gone)
	}
}
