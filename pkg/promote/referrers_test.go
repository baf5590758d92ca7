package promote_test

import (
	"bytes"
	"crypto/x509/pkix"
	"encoding/json"
	"maps"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/vouchsec/vouch/attest"
	"github.com/vouchsec/vouch/internal/testreg"
	vcosign "github.com/vouchsec/vouch/pkg/cosign"
	"github.com/vouchsec/vouch/pkg/notation"
	"github.com/vouchsec/vouch/pkg/notation/devcert"
	"github.com/vouchsec/vouch/pkg/promote"
	"github.com/vouchsec/vouch/pkg/registry"
)

// counted are the registries referrers are promoted on: with the
// referrers API, and two without it.
var counted = []struct {
	name  string
	start func(t testing.TB) (string, *testreg.Counter)
	// referrersAPI is whether the registry serves the referrers API.
	referrersAPI bool
}{
	{"ggcr-referrers", func(t testing.TB) (string, *testreg.Counter) {
		return testreg.GGCRCounted(t, true)
	}, true},
	{"ggcr", func(t testing.TB) (string, *testreg.Counter) {
		return testreg.GGCRCounted(t, false)
	}, false},
	{"distribution", testreg.DistributionCounted, false},
}

// staged is an image in staging/app, signed with a cosign key that the
// promotion policy trusts.
type staged struct {
	host string
	src  name.Digest
	reg  *registry.Client
	opts promote.Options
}

func stage(t *testing.T, host string) *staged {
	t.Helper()
	h := testreg.PushSample(t, host, "staging/app", "1.0.0")
	src, err := name.NewDigest(host + "/staging/app@" + h.String())
	if err != nil {
		t.Fatal(err)
	}
	reg := registry.New()
	release, releasePub := signer(t, t.TempDir(), "release")
	if _, err := vcosign.Sign(t.Context(), src, release, reg.RemoteOptions(t.Context())); err != nil {
		t.Fatal(err)
	}
	opts := options(t, reg, `version: v1
signers:
  release: {cosign: {key: `+releasePub+`}}
policies:
  - name: p
    scope: ["**"]
    signatures: {anyOf: [release]}
`)
	return &staged{host: host, src: src, reg: reg, opts: opts}
}

// digestIn returns the reference to digest in repo.
func digestIn(t *testing.T, repo, digest string) name.Digest {
	t.Helper()
	d, err := name.NewDigest(repo + "@" + digest)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func notationSigner(t *testing.T) notation.Signer {
	t.Helper()
	set, err := devcert.New(devcert.Options{Subject: pkix.Name{
		CommonName: "test", Organization: []string{"t"},
		Province: []string{"WA"}, Country: []string{"US"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	s, err := notation.NewSigner(set.Key, set.Chain)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// attestNotation signs d with notation and attaches a notation-signed
// SPDX attestation to it.
func attestNotation(t *testing.T, d name.Digest) {
	t.Helper()
	s := notationSigner(t)
	if _, err := notation.Sign(t.Context(), d, s, notation.SignOptions{}); err != nil {
		t.Fatal(err)
	}
	h, err := v1.NewHash(d.DigestStr())
	if err != nil {
		t.Fatal(err)
	}
	pred, _ := json.Marshal(map[string]any{"spdxVersion": "SPDX-2.3", "name": "app"})
	st, err := attest.Statement(d.Context().Name(), h, "https://spdx.dev/Document", pred)
	if err != nil {
		t.Fatal(err)
	}
	opts := notation.SignOptions{Envelope: notation.EnvelopeCOSE}
	if _, err := notation.Attest(t.Context(), d, st, s, opts); err != nil {
		t.Fatal(err)
	}
}

func discover(t *testing.T, d name.Digest) *notation.Evidence {
	t.Helper()
	ev, err := notation.Discover(t.Context(), d, notation.RegistryOptions{})
	if err != nil {
		t.Fatalf("discovering %s: %v", d, err)
	}
	return ev
}

// sameEvidence fails unless got holds exactly want's signatures and
// attestations, with the same manifests and content.
func sameEvidence(t *testing.T, got, want *notation.Evidence) {
	t.Helper()
	if len(got.Signatures) != len(want.Signatures) || len(got.Attestations) != len(want.Attestations) {
		t.Fatalf("found %d signatures and %d attestations, want %d and %d",
			len(got.Signatures), len(got.Attestations), len(want.Signatures), len(want.Attestations))
	}
	for i, s := range want.Signatures {
		sameSignature(t, got.Signatures[i], s)
	}
	for i, a := range want.Attestations {
		g := got.Attestations[i]
		if g.Manifest.Digest != a.Manifest.Digest || !bytes.Equal(g.Statement, a.Statement) {
			t.Errorf("attestation %s, want %s with the same statement", g.Manifest.Digest, a.Manifest.Digest)
		}
		if len(g.Signatures) != len(a.Signatures) {
			t.Fatalf("attestation has %d signatures, want %d", len(g.Signatures), len(a.Signatures))
		}
		for j, s := range a.Signatures {
			sameSignature(t, g.Signatures[j], s)
		}
	}
}

func sameSignature(t *testing.T, got, want *notation.Signature) {
	t.Helper()
	if got.Manifest.Digest != want.Manifest.Digest || !bytes.Equal(got.Envelope, want.Envelope) {
		t.Errorf("signature %s, want %s with the same envelope",
			got.Manifest.Digest, want.Manifest.Digest)
	}
}

// TestReferrers promotes an image with a notation signature and a
// notation-signed attestation, and checks that the destination serves the
// same referrers, by API or by tag schema, after a dry run that writes
// nothing and before a second run that writes nothing either.
func TestReferrers(t *testing.T) {
	type hosts = func(t testing.TB) (src, dst string, c *testreg.Counter)
	tests := []struct {
		name  string
		start hosts
		// referrersAPI is whether the destination serves the referrers API.
		referrersAPI bool
	}{
		{"ggcr-referrers to distribution", func(t testing.TB) (string, string, *testreg.Counter) {
			dst, c := testreg.DistributionCounted(t)
			return testreg.GGCR(t, true), dst, c
		}, false},
		{"distribution to ggcr-referrers", func(t testing.TB) (string, string, *testreg.Counter) {
			dst, c := testreg.GGCRCounted(t, true)
			return testreg.Distribution(t), dst, c
		}, true},
	}
	for _, reg := range counted {
		tests = append(tests, struct {
			name         string
			start        hosts
			referrersAPI bool
		}{reg.name, func(t testing.TB) (string, string, *testreg.Counter) {
			host, c := reg.start(t)
			return host, host, c
		}, reg.referrersAPI})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			srcHost, dstHost, counter := tt.start(t)
			s := stage(t, srcHost)
			attestNotation(t, s.src)
			want := discover(t, s.src)
			dst := dstHost + "/prod/app:1.0.0"
			dstD := digestIn(t, dstHost+"/prod/app", s.src.DigestStr())

			dry := s.opts
			dry.DryRun = true
			counter.Reset()
			res, err := promote.Promote(ctx, s.src.String(), dst, dry)
			if err != nil {
				t.Fatal(err)
			}
			if w := counter.Writes(); w != 0 {
				t.Errorf("dry run made %d write requests", w)
			}
			// A registry does not say whether it serves the referrers API
			// for a repository it does not have; unless the source is on
			// the same registry, a dry run reports the indexes it might
			// need to write.
			unknown := tt.referrersAPI && srcHost != dstHost
			checkReferrerSteps(t, res.Steps, tt.referrersAPI && !unknown, promote.WouldRun)

			res, err = promote.Promote(ctx, s.src.String(), dst, s.opts)
			if err != nil {
				t.Fatal(err)
			}
			checkReferrerSteps(t, res.Steps, tt.referrersAPI, promote.Copied)
			if last := res.Steps[len(res.Steps)-1]; last.What != "tag" {
				t.Errorf("last step is %s %s, want the tag", last.What, last.Target)
			}
			sameEvidence(t, discover(t, dstD), want)
			checkIndexes(t, s, dstD, want, tt.referrersAPI)

			counter.Reset()
			res, err = promote.Promote(ctx, s.src.String(), dst, s.opts)
			if err != nil {
				t.Fatal(err)
			}
			if w := counter.Writes(); w != 0 {
				t.Errorf("second run made %d write requests", w)
			}
			checkReferrerSteps(t, res.Steps, tt.referrersAPI, promote.Present)
		})
	}
}

// checkReferrerSteps checks that steps copy the three referrers (a
// signature, an attestation and its signature) and, on a registry without
// the referrers API, the indexes of the image and the attestation, and
// that every step has action a.
func checkReferrerSteps(t *testing.T, steps []promote.Step, referrersAPI bool, a promote.Action) {
	t.Helper()
	var types []string
	indexes := 0
	for _, s := range steps {
		switch s.What {
		case "referrer":
			types = append(types, s.ArtifactType)
		case "referrers index":
			indexes++
		}
		if s.Action != a {
			t.Errorf("step %s %s: %s, want %s", s.What, s.Target, s.Action, a)
		}
	}
	// The image's referrers come in the source's order, each followed by
	// its own.
	sig, att := notation.ArtifactTypeSignature, notation.ArtifactTypeInToto
	got := strings.Join(types, ",")
	if got != sig+","+att+","+sig && got != att+","+sig+","+sig {
		t.Errorf("referrer steps of types %s, want the signature, the attestation and its signature", got)
	}
	if want := map[bool]int{true: 0, false: 2}[referrersAPI]; indexes != want {
		t.Errorf("%d referrers index steps, want %d", indexes, want)
	}
}

// checkIndexes checks the destination's referrers tag-schema indexes: on a
// registry with the referrers API there are none; without it, they
// describe each referrer as its manifest does (the artifact type from the
// artifactType field, the annotations), which a client filtering by
// artifact type relies on.
func checkIndexes(t *testing.T, s *staged, dst name.Digest, want *notation.Evidence,
	referrersAPI bool) {
	t.Helper()
	subjects := map[name.Digest][]v1.Hash{dst: nil}
	for _, sig := range want.Signatures {
		subjects[dst] = append(subjects[dst], hashOf(t, sig.Manifest.Digest.String()))
	}
	for _, a := range want.Attestations {
		ad := dst.Context().Digest(a.Manifest.Digest.String())
		subjects[dst] = append(subjects[dst], hashOf(t, a.Manifest.Digest.String()))
		for _, sig := range a.Signatures {
			subjects[ad] = append(subjects[ad], hashOf(t, sig.Manifest.Digest.String()))
		}
	}
	for subject, refs := range subjects {
		im, exists, err := s.reg.ReferrersIndex(t.Context(), subject)
		if err != nil {
			t.Fatal(err)
		}
		if referrersAPI {
			if exists {
				t.Errorf("%s: a referrers tag-schema index on a registry with the API", subject)
			}
			continue
		}
		if len(im.Manifests) != len(refs) {
			t.Errorf("index of %s lists %d referrers, want %d", subject, len(im.Manifests), len(refs))
		}
		for _, h := range refs {
			ref, err := s.reg.Referrer(t.Context(), s.src.Context().Digest(h.String()))
			if err != nil {
				t.Fatal(err)
			}
			if !listed(im, ref.Descriptor) {
				t.Errorf("index of %s does not list %+v", subject, ref.Descriptor)
			}
		}
	}
}

func listed(im v1.IndexManifest, want v1.Descriptor) bool {
	for _, d := range im.Manifests {
		if d.Digest == want.Digest && d.Size == want.Size && d.MediaType == want.MediaType &&
			d.ArtifactType == want.ArtifactType && maps.Equal(d.Annotations, want.Annotations) {
			return true
		}
	}
	return false
}

func hashOf(t *testing.T, s string) v1.Hash {
	t.Helper()
	h, err := v1.NewHash(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestReferrersMergeIntoDestinationIndex promotes onto an image whose
// destination already has a notation signature of its own, listed in its
// referrers tag-schema index: the index must keep it.
func TestReferrersMergeIntoDestinationIndex(t *testing.T) {
	for _, tt := range counted {
		if tt.referrersAPI {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			host, _ := tt.start(t)
			s := stage(t, host)
			attestNotation(t, s.src)
			testreg.PushSample(t, host, "prod/app", "old")
			dst := digestIn(t, host+"/prod/app", s.src.DigestStr())
			theirs, err := notation.Sign(t.Context(), dst, notationSigner(t), notation.SignOptions{})
			if err != nil {
				t.Fatal(err)
			}
			res, err := promote.Promote(t.Context(), s.src.String(), host+"/prod/app:1.0.0", s.opts)
			if err != nil {
				t.Fatal(err)
			}
			merged := false
			for _, st := range res.Steps {
				merged = merged || st.What == "referrers index" && st.Action == promote.Merged
			}
			if !merged {
				t.Errorf("steps %+v: want the image's referrers index merged", res.Steps)
			}
			got := discover(t, dst)
			if len(got.Signatures) != 2 || len(got.Attestations) != 1 {
				t.Fatalf("destination has %d signatures and %d attestations, want 2 and 1",
					len(got.Signatures), len(got.Attestations))
			}
			kept := false
			for _, sig := range got.Signatures {
				kept = kept || sig.Manifest.Digest == theirs.Digest
			}
			if !kept {
				t.Errorf("the destination's own signature %s is gone", theirs.Digest)
			}
		})
	}
}

// TestReferrerUnreadable lists a referrer that cannot be copied: one the
// source no longer has, and one that is not a referrer. The promotion
// fails and the tag is not written.
func TestReferrerUnreadable(t *testing.T) {
	tests := []struct {
		name string
		// listed lists a referrer of s.src and returns its digest.
		listed  func(t *testing.T, s *staged) v1.Hash
		wantErr string
	}{
		{"deleted", deletedSignature, "MANIFEST_UNKNOWN"},
		{"no subject", cosignSignature, "has no subject"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			host := testreg.GGCR(t, false)
			s := stage(t, host)
			h := tt.listed(t, s)
			_, err := promote.Promote(ctx, s.src.String(), host+"/prod/app:1.0.0", s.opts)
			if err == nil || !strings.Contains(err.Error(), h.String()) ||
				!strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want one about referrer %s: %s", err, h, tt.wantErr)
			}
			if _, _, err := s.reg.Resolve(ctx, host+"/prod/app:1.0.0"); err == nil {
				t.Error("a failed promotion wrote the tag")
			}
		})
	}
}

// deletedSignature signs s.src with notation, which lists the signature
// in the referrers tag-schema index, then deletes the signature manifest.
func deletedSignature(t *testing.T, s *staged) v1.Hash {
	t.Helper()
	desc, err := notation.Sign(t.Context(), s.src, notationSigner(t), notation.SignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ref := s.src.Context().Digest(desc.Digest.String())
	if err := remote.Delete(ref, remote.WithContext(t.Context())); err != nil {
		t.Fatal(err)
	}
	return hashOf(t, desc.Digest.String())
}

// cosignSignature lists the cosign signature manifest of s.src, which has
// no subject, in the referrers tag-schema index.
func cosignSignature(t *testing.T, s *staged) v1.Hash {
	t.Helper()
	ev, err := vcosign.Fetch(t.Context(), s.src, s.reg.RemoteOptions(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	if ev.SigManifest == nil {
		t.Fatal("no cosign signature manifest")
	}
	d := *ev.SigManifest
	d.ArtifactType = notation.ArtifactTypeSignature
	im := v1.IndexManifest{Manifests: []v1.Descriptor{d}}
	if err := s.reg.PutReferrersIndex(t.Context(), s.src, im); err != nil {
		t.Fatal(err)
	}
	return d.Digest
}
