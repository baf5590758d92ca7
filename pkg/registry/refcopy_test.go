package registry_test

import (
	"errors"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/vouchsec/vouch/internal/testreg"
	"github.com/vouchsec/vouch/pkg/registry"
)

func descriptor(t *testing.T, hex byte, at string, ann map[string]string) v1.Descriptor {
	t.Helper()
	b := make([]byte, 64)
	for i := range b {
		b[i] = hex
	}
	h, err := v1.NewHash("sha256:" + string(b))
	if err != nil {
		t.Fatal(err)
	}
	return v1.Descriptor{
		MediaType: types.OCIManifestSchema1, Digest: h, Size: 10,
		ArtifactType: at, Annotations: ann,
	}
}

func TestMergeReferrers(t *testing.T) {
	sig := descriptor(t, 'a', sigType, map[string]string{"k": "v"})
	sigByGGCR := sig
	sigByGGCR.ArtifactType, sigByGGCR.Annotations = "application/vnd.oci.empty.v1+json", nil
	other := descriptor(t, 'b', sbomType, nil)
	tests := []struct {
		name        string
		have, add   []v1.Descriptor
		want        []v1.Descriptor
		wantChanged bool
	}{
		{"into empty", nil, []v1.Descriptor{sig}, []v1.Descriptor{sig}, true},
		{"keeps what is listed", []v1.Descriptor{other}, []v1.Descriptor{sig},
			[]v1.Descriptor{other, sig}, true},
		{"already listed", []v1.Descriptor{other, sig}, []v1.Descriptor{sig},
			[]v1.Descriptor{other, sig}, false},
		{"corrects in place", []v1.Descriptor{sigByGGCR, other}, []v1.Descriptor{sig},
			[]v1.Descriptor{sig, other}, true},
		{"nothing to add", []v1.Descriptor{other}, nil, []v1.Descriptor{other}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			im := v1.IndexManifest{SchemaVersion: 2, Manifests: tt.have}
			before := append([]v1.Descriptor(nil), tt.have...)
			got, changed := registry.MergeReferrers(im, tt.add)
			if changed != tt.wantChanged {
				t.Errorf("changed = %v, want %v", changed, tt.wantChanged)
			}
			if len(got.Manifests) != len(tt.want) {
				t.Fatalf("merged %d descriptors, want %d", len(got.Manifests), len(tt.want))
			}
			for i, d := range tt.want {
				g := got.Manifests[i]
				if g.Digest != d.Digest || g.ArtifactType != d.ArtifactType ||
					len(g.Annotations) != len(d.Annotations) {
					t.Errorf("descriptor %d = %+v, want %+v", i, g, d)
				}
			}
			for i := range before {
				if im.Manifests[i].ArtifactType != before[i].ArtifactType {
					t.Errorf("the input index was modified")
				}
			}
		})
	}
}

func TestReferrersAPIProbe(t *testing.T) {
	tests := []struct {
		name  string
		start func(t testing.TB) string
		want  bool
	}{
		{"ggcr referrers API", func(t testing.TB) string { return testreg.GGCR(t, true) }, true},
		{"ggcr", func(t testing.TB) string { return testreg.GGCR(t, false) }, false},
		{"distribution", testreg.Distribution, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host := tt.start(t)
			h := testreg.PushSample(t, host, "sample/app", "1.0.0")
			c := registry.New()
			d, _ := name.NewDigest(host + "/sample/app@" + h.String())
			got, err := c.ReferrersAPI(t.Context(), d)
			if err != nil || got != tt.want {
				t.Errorf("ReferrersAPI = %v, %v; want %v", got, err, tt.want)
			}
			// A repository the registry does not have tells nothing where
			// the API is served, since it answers NAME_UNKNOWN.
			d, _ = name.NewDigest(host + "/other/app@" + h.String())
			got, err = c.ReferrersAPI(t.Context(), d)
			if tt.want && !errors.Is(err, registry.ErrNotFound) {
				t.Errorf("unknown repository: %v, %v; want ErrNotFound", got, err)
			}
			if !tt.want && (err != nil || got) {
				t.Errorf("unknown repository: %v, %v; want false", got, err)
			}
		})
	}
}

func TestReferrersIndexRoundTrip(t *testing.T) {
	host := testreg.GGCR(t, false)
	h := testreg.PushSample(t, host, "sample/app", "1.0.0")
	c := registry.New()
	d, _ := name.NewDigest(host + "/sample/app@" + h.String())
	im, exists, err := c.ReferrersIndex(t.Context(), d)
	if err != nil || exists || len(im.Manifests) != 0 {
		t.Fatalf("ReferrersIndex before any = %+v, %v, %v", im, exists, err)
	}
	// The sample's platform manifests stand in for referrers: ggcr's
	// registry refuses an index that lists manifests it lacks.
	idx, err := testreg.SampleIndex(t).IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	want := idx.Manifests[0]
	want.Platform, want.ArtifactType = nil, sigType
	merged, _ := registry.MergeReferrers(im, []v1.Descriptor{want})
	if err := c.PutReferrersIndex(t.Context(), d, merged); err != nil {
		t.Fatal(err)
	}
	im, exists, err = c.ReferrersIndex(t.Context(), d)
	if err != nil || !exists || len(im.Manifests) != 1 || im.Manifests[0].ArtifactType != sigType {
		t.Fatalf("ReferrersIndex = %+v, %v, %v", im, exists, err)
	}
	if got := c.ReferrersTag(d).TagStr(); got != "sha256-"+h.Hex {
		t.Errorf("ReferrersTag = %s", got)
	}
}
