package verify_test

import (
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/cosign/v2/pkg/oci/empty"
	"github.com/sigstore/cosign/v2/pkg/oci/mutate"

	"github.com/vouchsec/vouch/internal/corpus"
	"github.com/vouchsec/vouch/pkg/policy"
	"github.com/vouchsec/vouch/verify"
)

// pushKeyless serves the .sig tag of a corpus keyless case from an
// in-memory registry and returns the image's digest reference. The image
// itself is not pushed: the backend reads only the tag beside it.
func pushKeyless(t *testing.T, c corpus.Case, withBundle bool) name.Digest {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	sig, h := corpus.CosignSignature(t, c, withBundle)
	repo := strings.TrimPrefix(srv.URL, "http://") + "/acme/app"
	d, err := name.NewDigest(repo + "@" + h.String())
	if err != nil {
		t.Fatal(err)
	}
	sigs, err := mutate.AppendSignatures(empty.Signatures(), false, sig)
	if err != nil {
		t.Fatal(err)
	}
	tag := d.Context().Tag(h.Algorithm + "-" + h.Hex + ".sig")
	if err := remote.Write(tag, sigs); err != nil {
		t.Fatal(err)
	}
	return d
}

// keylessPolicy loads a policy with one keyless signer, "ci", whose fields
// are signer (YAML flow-mapping entries), and the corpus's public-good
// trusted root beside it.
func keylessPolicy(t *testing.T, signer string) *policy.Policy {
	t.Helper()
	dir := t.TempDir()
	corpus.WritePublicGoodRoot(t, dir)
	src := fmt.Sprintf(`version: v1
signers:
  ci: {cosign: {keyless: {trustedRoot: trusted_root.json, %s}}}
policies:
- name: all
  scope: ['**']
  signatures: {anyOf: [ci]}
`, signer)
	file := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := policy.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCosignKeylessCorpus(t *testing.T) {
	const mitr = `issuer: "https://github.com/login/oauth", `
	tests := []struct {
		name, signer string
		bundle       bool
		failure      string // part of the signer's failure; "" for a pass
	}{
		{"exact subject", mitr + `subject: mitr@redhat.com`, true, ""},
		{"whole-identity regexp", mitr + `subjectRegexp: '[a-z]+@redhat\.com'`, true, ""},
		{"wrong issuer", `issuer: "https://accounts.google.com", subject: mitr@redhat.com`,
			true, "identity check"},
		{"regexp matching a prefix only", mitr + `subjectRegexp: 'mitr@redhat'`, true,
			"identity check"},
		{"no SET with requireTlog", mitr + `subject: mitr@redhat.com`, false, "tlog check"},
		{"claim the certificate lacks", mitr + `subject: mitr@redhat.com, ` +
			`claims: {sourceRepositoryURI: "https://github.com/acme/app"}`, true,
			`identity check: claim sourceRepositoryURI: want "https://github.com/acme/app"`},
	}
	for _, c := range corpus.KeylessCases(t) {
		for _, tc := range tests {
			t.Run(c.ID+"/"+tc.name, func(t *testing.T) {
				d := pushKeyless(t, c, tc.bundle)
				opts := verify.Options{Policy: keylessPolicy(t, tc.signer),
					Backends: []verify.Backend{verify.NewCosignBackend(nil)}}
				res := verify.Digest(t.Context(), d, opts)
				if tc.failure == "" {
					if !res.Passed() {
						t.Fatalf("status %s, want pass: %+v", res.Status, res.Evidence)
					}
					return
				}
				if res.Passed() {
					t.Fatal("passed, want a failure")
				}
				if len(res.Evidence) != 1 || !strings.Contains(res.Evidence[0].Failures["ci"],
					tc.failure) {
					t.Fatalf("evidence %+v, want a failure naming %q", res.Evidence, tc.failure)
				}
			})
		}
	}
}
