package registry_test

import (
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/vouchsec/vouch/internal/testreg"
	"github.com/vouchsec/vouch/pkg/registry"
)

const (
	sigType  = "application/vnd.example.signature"
	sbomType = "application/vnd.example.sbom.config"
)

func TestReferrers(t *testing.T) {
	tests := []struct {
		name  string
		start func(t testing.TB) string
		// tagSchema: the list lives in the sha256-<hex> tag, not an API.
		tagSchema bool
	}{
		{"ggcr referrers API", func(t testing.TB) string { return testreg.GGCR(t, true) }, false},
		{"ggcr tag schema", func(t testing.TB) string { return testreg.GGCR(t, false) }, true},
		{"distribution tag schema", testreg.Distribution, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host := tt.start(t)
			digest := testreg.PushSample(t, host, "app", "1.0.0")
			repo := mustRepo(t, host+"/app")
			subject := sampleDescriptor(t)
			// One artifact typed by artifactType over the empty config,
			// one typed only by its config media type.
			sig := pushReferrer(t, repo, subject, sigType, "", []byte("signature"))
			sbom := pushReferrer(t, repo, subject, "", sbomType, []byte(`{"packages":[]}`))
			checkStorage(t, repo.Tag(strings.Replace(digest.String(), ":", "-", 1)).String(), tt.tagSchema)

			c := registry.New()
			d := repo.Digest(digest.String())
			cases := []struct {
				filter string
				want   map[v1.Hash]string
			}{
				{"", map[v1.Hash]string{sig: sigType, sbom: sbomType}},
				{sigType, map[v1.Hash]string{sig: sigType}},
				{sbomType, map[v1.Hash]string{sbom: sbomType}},
				{"application/vnd.example.none", map[v1.Hash]string{}},
			}
			for _, tc := range cases {
				got, err := c.Referrers(t.Context(), d, tc.filter)
				if err != nil {
					t.Fatalf("Referrers(%q): %v", tc.filter, err)
				}
				checkReferrers(t, tc.filter, got, tc.want)
			}

			// A manifest nobody refers to has an empty list.
			other := repo.Digest(sig.String())
			if got, err := c.Referrers(t.Context(), other, ""); err != nil || len(got) != 0 {
				t.Errorf("Referrers of an unreferenced manifest = %v, %v; want none", got, err)
			}
		})
	}
}

// sampleDescriptor describes the sample index, the subject of referrers.
func sampleDescriptor(t *testing.T) v1.Descriptor {
	t.Helper()
	idx := testreg.SampleIndex(t)
	d, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	size, err := idx.Size()
	if err != nil {
		t.Fatal(err)
	}
	return v1.Descriptor{MediaType: types.OCIImageIndex, Digest: d, Size: size}
}

func checkReferrers(t *testing.T, filter string, got []v1.Descriptor, want map[v1.Hash]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("Referrers(%q) = %d descriptors, want %d: %+v", filter, len(got), len(want), got)
	}
	for _, d := range got {
		if at, ok := want[d.Digest]; !ok || d.ArtifactType != at {
			t.Errorf("Referrers(%q) has %s of type %q, want one of %v",
				filter, d.Digest, d.ArtifactType, want)
		}
	}
}

// checkStorage asserts the referrers tag exists exactly when the registry
// has no referrers API, so each case exercises the path it names.
func checkStorage(t *testing.T, tag string, want bool) {
	t.Helper()
	ref := mustTag(t, tag)
	_, err := remote.Head(ref)
	if got := err == nil; got != want {
		t.Fatalf("referrers tag %s exists = %v (%v), want %v", tag, got, err, want)
	}
}

func TestReferrersMissingRepository(t *testing.T) {
	host := testreg.GGCR(t, true)
	digest := testreg.PushSample(t, host, "app", "1.0.0")
	d := mustDigest(t, host+"/nope@"+digest.String())
	got, err := registry.New().Referrers(t.Context(), d, "")
	if err != nil || len(got) != 0 {
		t.Fatalf("Referrers in a missing repository = %v, %v; want an empty list", got, err)
	}
}
