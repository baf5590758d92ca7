package registry_test

import (
	"errors"
	"testing"

	"github.com/vouchsec/vouch/internal/testreg"
	"github.com/vouchsec/vouch/pkg/registry"
)

// The sample index has 3 manifests (the index and two platform images) and
// 5 distinct blobs (two configs, a shared /etc layer, two program layers).
const sampleManifests, sampleBlobs = 3, 5

type counted func(t testing.TB) (string, *testreg.Counter)

func ggcrWith(referrers bool) counted {
	return func(t testing.TB) (string, *testreg.Counter) { return testreg.GGCRCounted(t, referrers) }
}

func TestCopy(t *testing.T) {
	tests := []struct {
		name     string
		src, dst counted // dst nil: the same registry, another repository
		// wantBlobs is what the copy stores: ggcr keeps one blob store
		// for all repositories, so a copy inside it needs no blob at all;
		// distribution links blobs per repository (by cross-repo mount).
		wantBlobs int
	}{
		{"ggcr referrers on", ggcrWith(true), nil, 0},
		{"ggcr referrers off", ggcrWith(false), nil, 0},
		{"distribution", testreg.DistributionCounted, nil, sampleBlobs},
		{"ggcr to distribution", ggcrWith(false), testreg.DistributionCounted, sampleBlobs},
		{"distribution to ggcr", testreg.DistributionCounted, ggcrWith(true), sampleBlobs},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srcHost, srcCounter := tt.src(t)
			dstHost, dstCounter := srcHost, srcCounter
			if tt.dst != nil {
				dstHost, dstCounter = tt.dst(t)
			}
			digest := testreg.PushSample(t, srcHost, "staging/app", "1.0.0")
			src := mustDigest(t, srcHost+"/staging/app@"+digest.String())
			dst := mustRepo(t, dstHost+"/prod/app")
			c := registry.New()

			res, err := c.Copy(t.Context(), src, dst)
			if err != nil {
				t.Fatal(err)
			}
			want := registry.CopyResult{Digest: digest, Written: true,
				Manifests: sampleManifests, Blobs: tt.wantBlobs}
			if res != want {
				t.Errorf("first Copy = %+v, want %+v", res, want)
			}
			validateRemoteIndex(t, dst.Digest(digest.String()))
			_, _, err = c.Resolve(t.Context(), dst.Tag("1.0.0").String())
			if !errors.Is(err, registry.ErrNotFound) {
				t.Errorf("Copy tagged the destination: Resolve error = %v", err)
			}

			dstCounter.Reset()
			before := c.Requests()
			res, err = c.Copy(t.Context(), src, dst)
			if err != nil {
				t.Fatal(err)
			}
			if want := (registry.CopyResult{Digest: digest}); res != want {
				t.Errorf("second Copy = %+v, want %+v", res, want)
			}
			if n := dstCounter.Writes(); n != 0 {
				t.Errorf("second Copy made %d write requests, want 0", n)
			}
			if n := c.Requests() - before; n != 1 {
				t.Errorf("second Copy made %d requests, want 1 (HEAD)", n)
			}
			checkTag(t, c, dstHost+"/prod/app:1.0.0", digest.String(), dstCounter)
		})
	}
}

// checkTag tags ref last, then again: the second Tag writes nothing.
func checkTag(t *testing.T, c *registry.Client, ref, digest string, counter *testreg.Counter) {
	t.Helper()
	tag := mustTag(t, ref)
	h := mustDigest(t, tag.Context().String()+"@"+digest)
	for i, wantWritten := range []bool{true, false} {
		counter.Reset()
		written, err := c.Tag(t.Context(), tag, mustHash(t, h.DigestStr()))
		if err != nil {
			t.Fatalf("Tag #%d: %v", i+1, err)
		}
		if written != wantWritten {
			t.Errorf("Tag #%d written = %v, want %v", i+1, written, wantWritten)
		}
		if !wantWritten && counter.Writes() != 0 {
			t.Errorf("Tag #%d made %d writes, want 0", i+1, counter.Writes())
		}
	}
	got, _, err := c.Resolve(t.Context(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if got.DigestStr() != digest {
		t.Errorf("%s points at %s, want %s", ref, got.DigestStr(), digest)
	}
}

func TestCopyMissingSource(t *testing.T) {
	host := testreg.GGCR(t, false)
	digest := testreg.PushSample(t, host, "app", "1.0.0")
	src := mustDigest(t, host+"/elsewhere@"+digest.String())
	_, err := registry.New().Copy(t.Context(), src, mustRepo(t, host+"/dst"))
	if !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("Copy of a missing source: error = %v, want ErrNotFound", err)
	}
}

func TestTagMissingManifest(t *testing.T) {
	host := testreg.GGCR(t, false)
	digest := testreg.PushSample(t, host, "app", "1.0.0")
	written, err := registry.New().Tag(t.Context(), mustTag(t, host+"/other:1.0.0"), digest)
	if !errors.Is(err, registry.ErrNotFound) || written {
		t.Fatalf("Tag to a manifest not in the repository = %v, %v; want ErrNotFound", written, err)
	}
}
