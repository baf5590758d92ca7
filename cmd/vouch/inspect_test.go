package main

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"

	"github.com/vouchsec/vouch/internal/corpus"
	"github.com/vouchsec/vouch/internal/testreg"
	"github.com/vouchsec/vouch/pkg/inspect"
)

// The bundle the inspect tests attach: one cosign attest
// --new-bundle-format made (v0.3, keyless, logged in the public Rekor),
// from the corpus.
const (
	corpusBundle      = "sigstore/cosign/oci-attestation.sigstore.json"
	corpusBundleSAN   = "cody@soyland.com"
	corpusBundleOIDC  = "https://github.com/login/oauth"
	corpusBundleTime  = "2025-02-28T19:18:11Z"
	corpusBundlePT    = "https://cosign.sigstore.dev/attestation/v1"
	sbomArtifactType  = "application/spdx+json"
	sbomReferrerStamp = "2025-11-02T10:00:00Z"
)

// pushReferrers attaches, with cosign's own writers, a plain SPDX SBOM
// referrer and a Sigstore bundle referrer to img.
func (h *harness) pushReferrers(img string) {
	h.t.Helper()
	d, err := name.NewDigest(img)
	if err != nil {
		h.t.Fatal(err)
	}
	opts := ociremote.WithRemoteOptions(remote.WithContext(h.t.Context()))
	sbom, err := os.ReadFile(sample(h))
	if err != nil {
		h.t.Fatal(err)
	}
	layer := static.NewLayer(sbom, types.MediaType(sbomArtifactType))
	if err := ociremote.WriteReferrer(d, sbomArtifactType, []v1.Layer{layer},
		map[string]string{"org.opencontainers.image.created": sbomReferrerStamp}, opts); err != nil {
		h.t.Fatalf("writing SBOM referrer: %v", err)
	}
	b, err := os.ReadFile(corpus.Path(h.t, corpusBundle))
	if err != nil {
		h.t.Fatal(err)
	}
	if err := ociremote.WriteAttestationNewBundleFormat(d, b, corpusBundlePT, opts); err != nil {
		h.t.Fatalf("writing bundle referrer: %v", err)
	}
}

// TestInspect attaches one of everything to an image on each kind of
// registry and checks what inspect reports, in JSON and as a tree.
func TestInspect(t *testing.T) {
	regs := []struct {
		name  string
		start func(testing.TB) string
	}{
		{"ggcr referrers API", func(t testing.TB) string { return testreg.GGCR(t, true) }},
		{"ggcr tag schema", func(t testing.TB) string { return testreg.GGCR(t, false) }},
		{"distribution", testreg.Distribution},
	}
	for _, reg := range regs {
		t.Run(reg.name, func(t *testing.T) {
			h := newHarness(t, reg.start(t))
			img, digest := h.push("staging/app", "1.0.0")
			h.keys("release")
			h.notationKeys("notary")
			before := time.Now().Add(-time.Minute)
			h.must("sign", "--key", h.path("keys/release.key"), img)
			h.must("attest", "--key", h.path("keys/release.key"), "--sbom", sample(h), img)
			h.must("attest", "--key", h.path("keys/release.key"), "--scan", critical(h), img)
			h.notarySign("notary", img, "--envelope", "cose")
			h.must("attest", "--backend", "notation", "--key", h.path("keys/notary.key"),
				"--cert", h.path("keys/notary.crt"), "--sbom", sample(h), img)
			h.pushReferrers(img)

			tag := h.ref("staging/app:1.0.0")
			res := decodeInspection(t, h.must("inspect", "-o", "json", tag))
			if res.Reference != tag || res.Digest != digest.String() || res.Verified ||
				res.MediaType != string(types.OCIImageIndex) || res.SchemaVersion != "1" {
				t.Errorf("reference %q digest %s type %s verified %v schema %q", res.Reference,
					res.Digest, res.MediaType, res.Verified, res.SchemaVersion)
			}
			checkAttached(t, res.Attached, digest.Hex, before)
			var platforms []string
			for _, p := range res.Platforms {
				platforms = append(platforms, p.Platform)
				if len(p.Attached) != 0 {
					t.Errorf("platform %s has %d items attached, want none", p.Platform, len(p.Attached))
				}
			}
			if !slices.Equal(platforms, []string{"linux/amd64", "linux/arm64"}) {
				t.Errorf("platforms %v, want linux/amd64 and linux/arm64", platforms)
			}

			tree := h.must("inspect", tag)
			for _, want := range []string{
				"resolved to " + h.ref("staging/app") + "@" + digest.String() + " (OCI image index",
				"NOT VERIFIED",
				"├── cosign signature sha256:",
				"signer:         key (unverified)",
				"stored as:      tag sha256-" + digest.Hex + ".sig",
				"predicate type: https://cosign.sigstore.dev/attestation/vuln/v1",
				"notation attestation sha256:",
				"│   └── notation signature sha256:",
				"envelope:       cose",
				"signer:         CN=release,O=Acme,ST=WA,C=US, issued by CN=",
				"signer:         " + corpusBundleSAN + ", OIDC issuer " + corpusBundleOIDC,
				"created:        " + corpusBundleTime + " (transparency log entry)",
				"created:        " + sbomReferrerStamp + " (annotation org.opencontainers.image.created)",
				"└── platforms\n    ├── linux/amd64 sha256:",
				"    └── linux/arm64 sha256:",
			} {
				if !strings.Contains(tree, want) {
					t.Errorf("tree lacks %q:\n%s", want, tree)
				}
			}
		})
	}
}

func decodeInspection(t *testing.T, out string) *inspect.Result {
	t.Helper()
	var res inspect.Result
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&res); err != nil {
		t.Fatalf("decoding %s: %v", out, err)
	}
	return &res
}

// checkAttached checks the items TestInspect attached, whatever their
// order.
func checkAttached(t *testing.T, items []*inspect.Item, hex string, since time.Time) {
	t.Helper()
	byKind := map[string][]*inspect.Item{}
	for _, it := range items {
		byKind[it.Kind] = append(byKind[it.Kind], it)
		if it.Error != "" {
			t.Errorf("%s %s: %s", it.Kind, it.Digest, it.Error)
		}
		if it.Size <= 0 || !strings.HasPrefix(it.Digest, "sha256:") {
			t.Errorf("%s has size %d and digest %q", it.Kind, it.Size, it.Digest)
		}
	}
	counts := map[string]int{}
	for k, v := range byKind {
		counts[k] = len(v)
	}
	want := map[string]int{
		inspect.KindCosignSignature: 1, inspect.KindCosignAttestation: 2,
		inspect.KindNotationSignature: 1, inspect.KindNotationAttestation: 1,
		inspect.KindSigstoreBundle: 1, inspect.KindReferrer: 1,
	}
	if !mapsEqual(counts, want) {
		t.Fatalf("kinds %v, want %v", counts, want)
	}

	sig := byKind[inspect.KindCosignSignature][0]
	if sig.Storage != inspect.StorageTag || sig.Tag != "sha256-"+hex+".sig" ||
		sig.Signer == nil || sig.Signer.Identity != "key (unverified)" || sig.Envelope != "simplesigning" {
		t.Errorf("cosign signature %+v", sig)
	}
	var pts []string
	for _, a := range byKind[inspect.KindCosignAttestation] {
		pts = append(pts, a.PredicateType)
		if a.Tag != "sha256-"+hex+".att" || a.Envelope != "dsse" || a.Signer.Identity != "key (unverified)" {
			t.Errorf("cosign attestation %+v", a)
		}
	}
	slices.Sort(pts)
	if !slices.Equal(pts, []string{"https://cosign.sigstore.dev/attestation/vuln/v1", "https://spdx.dev/Document"}) {
		t.Errorf("cosign attestation predicate types %v", pts)
	}

	checkNotationSignature(t, byKind[inspect.KindNotationSignature][0], "cose", since)
	att := byKind[inspect.KindNotationAttestation][0]
	if att.PredicateType != "https://spdx.dev/Document" || att.Storage != inspect.StorageReferrer ||
		att.ArtifactType != "application/vnd.in-toto+json" || len(att.Attached) != 1 {
		t.Fatalf("notation attestation %+v", att)
	}
	checkNotationSignature(t, att.Attached[0], "jws", since)

	b := byKind[inspect.KindSigstoreBundle][0]
	wantTime, _ := time.Parse(time.RFC3339, corpusBundleTime)
	if b.Signer == nil || b.Signer.Identity != corpusBundleSAN || b.Signer.Certificate == nil ||
		b.Signer.Certificate.OIDCIssuer != corpusBundleOIDC || !b.Created.Equal(wantTime) ||
		b.CreatedFrom != inspect.CreatedFromTransparencyLog || b.Envelope != "dsse" ||
		b.PredicateType != corpusBundlePT {
		t.Errorf("sigstore bundle %+v signer %+v", b, b.Signer)
	}

	sbom := byKind[inspect.KindReferrer][0]
	stamp, _ := time.Parse(time.RFC3339, sbomReferrerStamp)
	if sbom.ArtifactType != sbomArtifactType || !sbom.Created.Equal(stamp) || sbom.Signer != nil {
		t.Errorf("SBOM referrer %+v", sbom)
	}
}

func checkNotationSignature(t *testing.T, it *inspect.Item, envelope string, since time.Time) {
	t.Helper()
	if it.Kind != inspect.KindNotationSignature || it.Envelope != envelope || it.Signer == nil ||
		it.Signer.Certificate == nil || it.Signer.Certificate.Subject != notarySubject ||
		it.CreatedFrom != inspect.CreatedFromSigningTime ||
		it.Created.Before(since) || it.Created.After(time.Now()) {
		t.Errorf("notation signature %+v signer %+v", it, it.Signer)
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestInspectLayout inspects a notation-signed image in an OCI layout of
// the corpus, known by --scope.
func TestInspectLayout(t *testing.T) {
	var c *corpus.Case
	for _, cc := range corpus.Cases(t, "notation-oci-layout") {
		if cc.Expected == "pass" {
			c = &cc
			break
		}
	}
	if c == nil {
		t.Skip("no passing notation layout case in the corpus")
	}
	ref, err := name.NewDigest(c.ArtifactReference)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, "")
	img := "oci:" + corpus.Path(t, c.Layout) + "@" + c.ArtifactDigest
	res := decodeInspection(t, h.must("inspect", "-o", "json", "--scope", ref.Context().Name(), img))
	if res.Reference != img || res.Digest != c.ArtifactDigest || res.Repository != ref.Context().Name() {
		t.Errorf("reference %q digest %s repository %s", res.Reference, res.Digest, res.Repository)
	}
	var found bool
	for _, it := range res.Attached {
		if it.Kind == inspect.KindNotationSignature {
			found = true
			if it.Signer == nil || it.Signer.Certificate == nil || it.Error != "" ||
				it.CreatedFrom != inspect.CreatedFromSigningTime {
				t.Errorf("notation signature %+v", it)
			}
		}
	}
	if !found {
		t.Errorf("no notation signature in %+v", res.Attached)
	}
	h.expect(exitUsage, []string{"give one with --scope"}, "inspect", img)
}

// TestInspectFailures checks the exit codes of what inspect cannot do.
func TestInspectFailures(t *testing.T) {
	h := newHarness(t, testreg.GGCR(t, true))
	h.expect(exitUsage, []string{"want tree or json"}, "inspect", "-o", "yaml", h.ref("a/b:1"))
	h.expect(exitUsage, []string{"not found"}, "inspect", h.ref("staging/none:1"))
	h.expect(exitRegistry, nil, "inspect", "127.0.0.1:1/staging/app:1")
}
