package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/vouchsec/vouch/internal/corpus"
)

// TestCorpusNotationLayouts runs every notation-oci-layout case of the
// corpus through the commands a user would run: the case's notation trust
// policy and trust store become a vouch policy with `vouch policy
// import-notation`, and `vouch verify` reads the image and its signature
// from the OCI layout (oci:DIR@sha256:…) under the repository name the
// case was signed for (--scope).
func TestCorpusNotationLayouts(t *testing.T) {
	for _, c := range corpus.Cases(t, "notation-oci-layout") {
		t.Run(c.ID, func(t *testing.T) {
			h := newHarness(t, "")
			out := h.must("policy", "import-notation",
				"--trust-policy", corpus.Path(t, c.TrustPolicy),
				"--trust-store", filepath.Join(corpus.Path(t, c.NotationConfigDir), "truststore"))
			pol := h.write("policy.yaml", out)
			ref, err := name.NewDigest(c.ArtifactReference)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]int{"pass": exitOK, "fail": exitPolicy}[c.Expected]
			fragments := []string{ref.DigestStr()}
			if c.Expected == "fail" {
				fragments = append(fragments, failedCheck(t, c.Reason)+" check")
			}
			img := "oci:" + corpus.Path(t, c.Layout) + "@" + c.ArtifactDigest
			h.expect(want, fragments,
				"verify", "--policy", pol, "--scope", ref.Context().Name(), img)
		})
	}
}

// failedCheck names the notation check a failing case's reason speaks of.
func failedCheck(t *testing.T, reason string) string {
	t.Helper()
	for _, c := range []struct{ word, check string }{
		{"integrity", "integrity"}, {"authenticity", "authenticity"}, {"expir", "expiry"},
	} {
		if strings.Contains(reason, c.word) {
			return c.check
		}
	}
	t.Fatalf("reason %q names no check this test knows", reason)
	return ""
}
