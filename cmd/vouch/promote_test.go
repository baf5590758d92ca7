package main

import (
	"context"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/vouchsec/vouch/internal/testreg"
	"github.com/vouchsec/vouch/pkg/registry"
)

// TestPromoteRefusedWritesNothing checks that a refused promotion leaves
// the destination without a new tag or manifest.
func TestPromoteRefusedWritesNothing(t *testing.T) {
	h := newHarness(t, testreg.GGCR(t, true))
	img, digest := h.push("staging/app", "1.0.0")
	h.keys("release", "ci")
	h.must("sign", "--key", h.path("keys/ci.key"), img) // not the release key
	pol := h.policy(fullPolicy)
	dst := h.ref("prod/app:1.0.0")

	h.expect(exitPolicy, []string{"promotion refused", "signatures.anyOf"}, "promote", "--policy", pol, img, dst)
	h.expect(exitPolicy, []string{"promotion refused"}, "promote", "--dry-run", "--policy", pol, img, dst)

	ctx := context.Background()
	reg := registry.New()
	if _, _, err := reg.Resolve(ctx, dst); err == nil {
		t.Errorf("%s exists after a refused promotion", dst)
	}
	d, err := name.NewDigest(h.ref("prod/app@" + digest.String()))
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := reg.Exists(ctx, d); err != nil || ok {
		t.Errorf("the image manifest reached prod after a refused promotion (exists %v, %v)", ok, err)
	}
}

// TestPromoteDryRun checks that a dry run lists the steps and writes
// nothing.
func TestPromoteDryRun(t *testing.T) {
	h := newHarness(t, testreg.GGCR(t, false))
	img, _ := h.push("staging/app", "1.0.0")
	h.keys("release", "ci")
	signAndAttest(h, img)
	pol := h.policy(fullPolicy)
	dst := h.ref("prod/app:1.0.0")
	out := h.must("promote", "--dry-run", "--policy", pol, "-o", "json", img, dst)
	steps := decodePromotion(t, out).Steps
	if len(steps) < 4 {
		t.Errorf("dry run lists %d steps, want image, signatures, attestations and tag", len(steps))
	}
	for _, s := range steps {
		if s.Action != "would copy" {
			t.Errorf("dry run step %s: %s", s.What, s.Action)
		}
	}
	if _, _, err := registry.New().Resolve(context.Background(), dst); err == nil {
		t.Errorf("%s exists after a dry run", dst)
	}
}
