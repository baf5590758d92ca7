package main

import (
	"strings"
	"testing"

	"github.com/vouchsec/vouch/internal/testreg"
	"github.com/vouchsec/vouch/pkg/bundle"
)

// TestBundleRelabelled checks that a bundle whose index names another
// repository than the one its evidence was made for is still held to the
// policies of the repository the evidence names: the label is not signed,
// the signature's docker-reference is.
func TestBundleRelabelled(t *testing.T) {
	h := newHarness(t, testreg.GGCR(t, true))
	img, _ := h.push("prod/app", "1.0.0")
	h.keys("release", "ci")
	h.must("sign", "--key", h.path("keys/release.key"), img)
	// Production needs the CI key as well, which never signed; staging
	// needs the release key only.
	pol := h.policy(`  - name: production
    scope: ["*/prod/**"]
    signatures: {allOf: [release, ci]}
  - name: staging
    scope: ["*/staging/**"]
    signatures: {anyOf: [release]}
`)
	dir := h.path("app-bundle")
	h.must("bundle", "export", img, "-o", dir)
	h.expect(exitPolicy, []string{"production", "FAIL"}, "verify", "--offline", "--bundle", dir,
		"--policy", pol)

	relabel(t, dir, h.ref("staging/app"))
	noDial(t)
	out := h.expect(exitPolicy, []string{"production", "no valid signature by [ci]"},
		"verify", "--offline", "--bundle", dir, "--policy", pol, "-o", "json")
	rep := decodeReport(t, out)
	if got := rep.Images[0].NamedRepositories; len(got) != 1 || got[0] != h.ref("prod/app") {
		t.Errorf("namedRepositories = %v, want [%s]", got, h.ref("prod/app"))
	}
	if !strings.Contains(out, "nothing signs that label") {
		t.Errorf("no note that the bundle's repository is an unsigned label:\n%s", out)
	}
	// Naming the repository the auditor expects refuses the relabelled
	// bundle outright.
	h.expect(exitUsage, []string{"prod/app"}, "verify", "--offline", "--bundle", dir, "--policy", pol,
		h.ref("prod/app@")+rep.Images[0].Digest)
}

// relabel rewrites the repository a bundle directory's index records for
// its image, as an attacker with the file could.
func relabel(t *testing.T, dir, repo string) {
	t.Helper()
	editIndex(t, dir, func(idx map[string]any) {
		for _, e := range idx["manifests"].([]any) {
			ann, _ := e.(map[string]any)["annotations"].(map[string]any)
			if ann[bundle.AnnotationKind] == string(bundle.KindImage) {
				ann[bundle.AnnotationRepository] = repo
				delete(ann, bundle.AnnotationReference)
			}
		}
	})
}

// TestBundleOfflineUsage checks the offline refusals of flags and images:
// an image the bundle holds no evidence for, an empty --at, and bundle
// limits without --offline.
func TestBundleOfflineUsage(t *testing.T) {
	h := newHarness(t, testreg.GGCR(t, true))
	img, _ := h.push("prod/app", "1.0.0")
	h.keys("release", "ci")
	h.must("sign", "--key", h.path("keys/release.key"), img)
	pol := h.policy("  - name: p\n    scope: [\"**\"]\n    signatures: {anyOf: [release]}\n")
	file := h.path("app.tar")
	h.must("bundle", "export", img, "-o", file, "--policy", pol)
	other := h.ref("prod/app@sha256:" + strings.Repeat("ab", 32))
	h.expect(exitUsage, []string{"the bundle holds evidence for"}, "verify", "--offline", "--bundle",
		file, "--policy", pol, other)
	h.expect(exitUsage, []string{"--at is empty"}, "verify", "--offline", "--bundle", file, "--at", "")
	h.expect(exitUsage, []string{"go with --offline"}, "verify", "--policy", pol,
		"--max-bundle-size", "5", img)
	// A platform image of the index is the bundle's too (it is verified:
	// unsigned, it fails), and the report names the bundled policy as the
	// bundle holds it.
	out := h.expect(exitPolicy, []string{"policy.yaml in " + file}, "verify", "--offline", "--bundle", file,
		h.ref("prod/app@"+firstChild(t, img)))
	if strings.Contains(out, "vouch-bundle-") {
		t.Errorf("the report names the bundle's temporary directory:\n%s", out)
	}
}
