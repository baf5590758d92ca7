package main

import (
	"testing"

	"github.com/vouchsec/vouch/internal/testreg"
)

// TestUsageRefusals checks command lines a newcomer found accepted, or
// sent where they should not go.
func TestUsageRefusals(t *testing.T) {
	h := newHarness(t, testreg.GGCR(t, true))
	img, d := h.push("staging/app", "1.0.0")
	h.keys("release", "ci")
	pol := h.policy(sigOnly)
	existing := h.write("old.tar", "an earlier bundle")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"a bare digest", []string{"verify", "--policy", pol, d.String()}, "a digest alone names no repository"},
		{"inspect a bare digest", []string{"inspect", d.String()}, "a digest alone names no repository"},
		{"--at the zero time", []string{"verify", "--policy", pol, "--at", "0001-01-01", img}, "between 1970"},
		{"--max-bundle-size 0", []string{"bundle", "import", "--max-bundle-size", "0", existing, h.ref("x/y")},
			"want at least 1"},
		{"negative --max-bundle-entries", []string{"verify", "--offline", "--bundle", existing,
			"--max-bundle-entries", "-1"}, "want at least 1"},
		{"export over an existing bundle", []string{"bundle", "export", img, "-o", existing}, "exists"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h.expect(exitUsage, []string{tc.want}, tc.args...)
		})
	}
}
