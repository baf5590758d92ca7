package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/vouchsec/vouch/internal/testreg"
	"github.com/vouchsec/vouch/pkg/registry"
)

// TestPromotePlatformEvidence checks that the evidence of an index's
// platform images (as cosign sign --recursive makes it) is promoted and
// exported with the index: a signature on one platform's manifest
// verifies at the destination, and in the bundle.
func TestPromotePlatformEvidence(t *testing.T) {
	h := newHarness(t, testreg.GGCR(t, true))
	img, _ := h.push("staging/app", "1.0.0")
	h.keys("release", "ci")
	child := firstChild(t, img)
	h.must("sign", "--key", h.path("keys/release.key"), img)
	h.must("sign", "--key", h.path("keys/release.key"), h.ref("staging/app@"+child))
	pol := h.policy(`  - name: signed
    scope: ["**"]
    signatures: {anyOf: [release]}
`)
	out := h.must("promote", "--policy", pol, h.ref("staging/app:1.0.0"), h.ref("prod/app:1.0.0"))
	if !strings.Contains(out, "platform") {
		t.Errorf("promote did not report the platform image's evidence:\n%s", out)
	}
	h.expect(exitOK, []string{"PASS", "signed by release"}, "verify", "--policy", pol,
		h.ref("prod/app@"+child))

	file := h.path("app.tar")
	h.must("bundle", "export", h.ref("prod/app:1.0.0"), "-o", file)
	noDial(t)
	h.expect(exitOK, []string{"PASS"}, "verify", "--offline", "--bundle", file, "--policy", pol,
		h.ref("prod/app@"+child))
}

// firstChild returns the digest of the first manifest the index img lists.
func firstChild(t *testing.T, img string) string {
	t.Helper()
	d, err := name.NewDigest(img)
	if err != nil {
		t.Fatal(err)
	}
	raw, mt, err := registry.New().Manifest(t.Context(), d)
	if err != nil || !mt.IsIndex() {
		t.Fatalf("reading %s: %v (%s)", img, err, mt)
	}
	idx, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil || len(idx.Manifests) == 0 {
		t.Fatalf("index %s: %v", img, err)
	}
	return idx.Manifests[0].Digest.String()
}

// TestPromoteMovedTag checks that promoting onto a tag that names another
// image says it moved the tag, and from what.
func TestPromoteMovedTag(t *testing.T) {
	h := newHarness(t, testreg.GGCR(t, true))
	img, _ := h.push("staging/app", "1.0.0")
	h.keys("release", "ci")
	h.must("sign", "--key", h.path("keys/release.key"), img)
	old, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag(h.ref("prod/app:1.0.0"))
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, old); err != nil {
		t.Fatal(err)
	}
	oldDigest, _ := old.Digest()
	pol := h.policy(`  - name: signed
    scope: ["**"]
    signatures: {anyOf: [release]}
`)
	h.expect(exitOK, []string{"moved", "(was " + oldDigest.String() + ")"},
		"promote", "--policy", pol, h.ref("staging/app:1.0.0"), h.ref("prod/app:1.0.0"))
}
