package main

import (
	"strings"
	"testing"
)

// TestBundleFormatInspect checks that vouch inspect lists bundle-format
// referrers as Sigstore bundles, with and without the referrers API.
func TestBundleFormatInspect(t *testing.T) {
	for _, referrers := range []bool{true, false} {
		t.Run(map[bool]string{true: "referrers API", false: "referrers tag"}[referrers],
			func(t *testing.T) {
				h, tsa, img := bundleHarness(t, referrers)
				signBundleFormat(h, tsa, img)
				out := h.must("inspect", "-o", "json", img)
				if n := strings.Count(out, `"kind": "sigstore-bundle"`); n != 2 {
					t.Errorf("inspect lists %d sigstore bundles, want 2:\n%s", n, out)
				}
			})
	}
}
