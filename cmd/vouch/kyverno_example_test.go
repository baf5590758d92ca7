package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vouchsec/vouch/internal/testreg"
)

// TestKyvernoMultiKeysExample runs the rewrite of Kyverno's
// verify-image-with-multi-keys policy (examples/from-kyverno) as shipped,
// but for two things a test must change: its key files are replaced by
// fresh key pairs at the same paths, and its registry, ghcr.io, by a
// registry on loopback. An image signed by one of the two keys is refused;
// signed by both, it passes; an image outside the scope is refused.
func TestKyvernoMultiKeysExample(t *testing.T) {
	host := testreg.GGCR(t, true)
	h := newHarness(t, host)
	src, err := os.ReadFile(filepath.Join("..", "..", "examples", "from-kyverno",
		"verify-image-with-multi-keys.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	pol := h.write("from-kyverno/policy.yaml", strings.ReplaceAll(string(src), "ghcr.io/", host+"/"))
	if err := os.MkdirAll(h.path("keys"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"example-release", "example-security"} {
		h.must("key", "generate", "--output-key-prefix", h.path("keys/"+k))
	}
	img, _ := h.push("myorg/myimage-api", "1.0.0")
	h.must("sign", "--key", h.path("keys/example-release.key"), img)
	h.expect(exitPolicy, []string{"signatures.threshold", "2"}, "verify", "--policy", pol, img)
	h.must("sign", "--key", h.path("keys/example-security.key"), img)
	h.must("verify", "--policy", pol, img)

	other, _ := h.push("otherorg/myimage", "1.0.0")
	h.must("sign", "--key", h.path("keys/example-release.key"), other)
	h.must("sign", "--key", h.path("keys/example-security.key"), other)
	h.expect(exitPolicy, []string{"no policy"}, "verify", "--policy", pol, other)
}
