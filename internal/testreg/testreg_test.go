package testreg

import (
	"net/http"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

func TestRegistries(t *testing.T) {
	tests := []struct {
		name  string
		start func(t testing.TB) (string, *Counter)
		// referrers is whether GET /v2/<repo>/referrers/<digest> answers 200.
		referrers bool
	}{
		{"ggcr", func(t testing.TB) (string, *Counter) { return GGCRCounted(t, false) }, false},
		{"ggcr-referrers", func(t testing.TB) (string, *Counter) { return GGCRCounted(t, true) }, true},
		{"distribution", DistributionCounted, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host, c := tt.start(t)
			digest := PushSample(t, host, "sample/app", "1.0.0")
			if c.Writes() == 0 {
				t.Errorf("pushing the sample made no write requests")
			}

			ref, err := name.NewTag(host + "/sample/app:1.0.0")
			if err != nil {
				t.Fatal(err)
			}
			c.Reset()
			desc, err := remote.Head(ref)
			if err != nil {
				t.Fatalf("HEAD %s: %v", ref, err)
			}
			if desc.Digest != digest {
				t.Errorf("tag points at %s, pushed %s", desc.Digest, digest)
			}
			if c.Count() == 0 || c.Writes() != 0 {
				t.Errorf("HEAD counted %d requests, %d writes; want some, and no writes",
					c.Count(), c.Writes())
			}
			checkReferrersAPI(t, host, digest.String(), tt.referrers)
		})
	}
}

func checkReferrersAPI(t *testing.T, host, digest string, want bool) {
	t.Helper()
	resp, err := http.Get("http://" + host + "/v2/sample/app/referrers/" + digest)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.StatusCode == http.StatusOK; got != want {
		t.Errorf("referrers API answered %d, want served=%v", resp.StatusCode, want)
	}
}

func TestSampleIndexPlatforms(t *testing.T) {
	im, err := SampleIndex(t).IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range im.Manifests {
		got = append(got, d.Platform.String())
	}
	if len(got) != 2 || got[0] != "linux/amd64" || got[1] != "linux/arm64" {
		t.Errorf("sample platforms = %v, want [linux/amd64 linux/arm64]", got)
	}
}
