package promote

import (
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/vouchsec/vouch/internal/testreg"
	"github.com/vouchsec/vouch/pkg/registry"
)

// pushArtifact pushes a small artifact whose subject is subject and
// returns its digest reference.
func pushArtifact(t *testing.T, subject name.Digest, note string) name.Digest {
	t.Helper()
	desc, err := remote.Head(subject, remote.WithContext(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, "application/vnd.example.note")
	img = mutate.Annotations(img, map[string]string{"note": note}).(v1.Image)
	img = mutate.Subject(img, *desc).(v1.Image)
	h, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	ref := subject.Context().Digest(h.String())
	if err := remote.Write(ref, img, remote.WithContext(t.Context())); err != nil {
		t.Fatal(err)
	}
	return ref
}

func sampleDigest(t *testing.T, host string) name.Digest {
	t.Helper()
	h := testreg.PushSample(t, host, "staging/app", "1.0.0")
	d, err := name.NewDigest(host + "/staging/app@" + h.String())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func treeSize(tree []*referrer) (n, depth int) {
	for _, r := range tree {
		cn, cd := treeSize(r.children)
		n, depth = n+1+cn, max(depth, 1+cd)
	}
	return n, depth
}

// TestReferrerBounds reads referrer trees at and past the bounds, on a
// registry with the referrers API and one without.
func TestReferrerBounds(t *testing.T) {
	tests := []struct {
		name         string
		chain, fan   int // a chain of referrers, then fan referrers on its end
		limits       referrerLimits
		wantErr      string
		wantN, wantD int
	}{
		{name: "depth 3", chain: 3, wantN: 3, wantD: 3},
		{name: "depth 4", chain: 4, wantErr: "nested deeper than 3 levels"},
		{name: "count at limit", fan: 3, limits: referrerLimits{depth: 3, count: 3}, wantN: 3, wantD: 1},
		{name: "count past limit", fan: 3, limits: referrerLimits{depth: 3, count: 2},
			wantErr: "more than 2 in all"},
	}
	for _, referrersAPI := range []bool{true, false} {
		for _, tt := range tests {
			t.Run(tt.name+"/api="+strconv.FormatBool(referrersAPI), func(t *testing.T) {
				src := sampleDigest(t, testreg.GGCR(t, referrersAPI))
				end := src
				for i := range tt.chain {
					end = pushArtifact(t, end, "chain "+strconv.Itoa(i))
				}
				for i := range tt.fan {
					pushArtifact(t, end, "fan "+strconv.Itoa(i))
				}
				p := &promoter{opts: Options{Registry: registry.New()}, refLimits: tt.limits}
				tree, err := p.referrerTree(t.Context(), src, 1, map[v1.Hash]bool{})
				if tt.wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
						t.Fatalf("err = %v, want %q", err, tt.wantErr)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if n, d := treeSize(tree); n != tt.wantN || d != tt.wantD {
					t.Errorf("read %d referrers %d deep, want %d, %d deep", n, d, tt.wantN, tt.wantD)
				}
			})
		}
	}
}
