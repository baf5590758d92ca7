package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/vouchsec/vouch/internal/corpus"
	"github.com/vouchsec/vouch/internal/testreg"
	vnotation "github.com/vouchsec/vouch/pkg/notation"
)

// e2eLayout is the corpus layout with a valid notation signature, and the
// repository its image was signed for.
const (
	e2eLayout = "notation/oci-layouts/e2e-valid-signature"
	e2eScope  = "localhost:5000/e2e"
	e2eDigest = "sha256:b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9"
)

// e2ePolicy imports the corpus trust policy that trusts the e2e layout's
// signer.
func (h *harness) e2ePolicy() string {
	h.t.Helper()
	out := h.must("policy", "import-notation",
		"--trust-policy", corpus.Path(h.t, "notation/trustpolicies/trustpolicy.json"),
		"--trust-store", corpus.Path(h.t, "notation/config-e2e/truststore"))
	return h.write("e2e.yaml", out)
}

// TestPromoteFromLayout promotes the layout's image by tag to a bare
// repository: the image, its notation signature and the tag arrive, and
// verify passes there.
func TestPromoteFromLayout(t *testing.T) {
	h := newHarness(t, testreg.GGCR(t, false))
	pol := h.e2ePolicy()
	src := "oci:" + corpus.Path(t, e2eLayout) + ":v1"
	h.must("promote", "--policy", pol, "--scope", e2eScope, src, h.ref("e2e/app"))
	out := h.must("verify", "--policy", pol, h.ref("e2e/app:v1"))
	if want := e2eDigest; !strings.Contains(out, want) {
		t.Errorf("verify of the promoted tag does not name %s:\n%s", want, out)
	}
}

// TestCorruptLayout checks that a layout blob that does not match its
// digest is bad input (exit 2) naming the layout, never blamed on the
// destination registry.
func TestCorruptLayout(t *testing.T) {
	h := newHarness(t, testreg.GGCR(t, true))
	dir := h.path("layout")
	copyTree(t, corpus.Path(t, e2eLayout), dir)
	blobs, err := filepath.Glob(filepath.Join(dir, "blobs", "sha256", "*"))
	if err != nil {
		t.Fatal(err)
	}
	// The largest blob is the image's layer: no manifest, so the layout
	// still opens and the damage shows when the blob is read.
	var layer string
	var size int64
	for _, b := range blobs {
		if fi, err := os.Stat(b); err == nil && fi.Size() > size {
			layer, size = b, fi.Size()
		}
	}
	data, err := os.ReadFile(layer)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x01
	if err := os.WriteFile(layer, data, 0o644); err != nil {
		t.Fatal(err)
	}
	h.expect(exitUsage, []string{"corrupt OCI layout", filepath.Base(layer)},
		"promote", "--policy", h.e2ePolicy(), "--scope", e2eScope, "oci:"+dir+":v1", h.ref("e2e/app"))
}

// TestLayoutUsage checks how commands refuse what a layout cannot do.
func TestLayoutUsage(t *testing.T) {
	h := newHarness(t, testreg.GGCR(t, true))
	layout := "oci:" + corpus.Path(t, e2eLayout)
	img, _ := h.push("staging/app", "1.0.0")
	h.keys("release")
	pol := h.e2ePolicy()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no scope", []string{"verify", "--policy", pol, layout + ":v1"}, "give one with --scope"},
		{"scope without layout", []string{"verify", "--policy", pol, "--scope", e2eScope, img},
			"--scope goes with images in an OCI layout"},
		{"unknown tag", []string{"verify", "--policy", pol, "--scope", e2eScope, layout + ":v9"},
			`no tag "v9"`},
		{"layout as promote destination", []string{"promote", "--policy", pol, img, layout + ":v2"},
			"not to an OCI layout"},
		{"signing a layout", []string{"sign", "--key", h.path("keys/release.key"), layout + ":v1"},
			"read-only"},
		{"registry host of the scope", []string{"verify", "--policy", pol, "--scope", e2eScope,
			layout + ":v1", "localhost:5000/other@" + e2eDigest}, "stands for the OCI layout"},
		{"unknown subcommand", []string{"policy", "lnt", pol}, `unknown command "lnt"`},
		{"missing subcommand", []string{"key"}, "needs a subcommand"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h.expect(exitUsage, []string{tc.want}, tc.args...)
		})
	}
}

// TestNotationAttestFailureWritesNothing checks that an attestation whose
// signing fails (here: the timestamp authority is down) leaves nothing on
// the image, and that the failure is a network one (exit 3).
func TestNotationAttestFailureWritesNothing(t *testing.T) {
	h := newHarness(t, testreg.GGCR(t, true))
	img, _ := h.push("staging/app", "1.0.0")
	h.notationKeys("notary")
	h.expect(exitRegistry, []string{"timestamp"}, "attest", "--backend", "notation",
		"--key", h.path("keys/notary.key"), "--cert", h.path("keys/notary.crt"),
		"--timestamp-url", "http://127.0.0.1:1/tsa", "--timestamp-root", h.path("keys/notary-ca.crt"),
		"--sbom", sample(h), img)
	d, err := name.NewDigest(img)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := vnotation.Discover(t.Context(), d, vnotation.RegistryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.Attestations) != 0 || len(ev.Signatures) != 0 {
		t.Errorf("a failed attest left %d attestations and %d signatures", len(ev.Attestations), len(ev.Signatures))
	}
}

// copyTree copies the regular files under from to to.
func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, p)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
