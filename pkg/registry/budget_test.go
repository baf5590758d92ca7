package registry_test

import (
	"io"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/vouchsec/vouch/internal/testreg"
	"github.com/vouchsec/vouch/pkg/registry"
)

// TestVerifyPathBudget walks what verifying one image costs: resolve the
// tag, then read the cosign-style .sig and .att tags with their layers
// through RemoteOptions. The ping is shared, so the whole path stays under
// the 10-request budget.
func TestVerifyPathBudget(t *testing.T) {
	host, counter := testreg.GGCRCounted(t, false)
	digest := testreg.PushSample(t, host, "app", "1.0.0")
	prefix := host + "/app:" + strings.Replace(digest.String(), ":", "-", 1)
	for _, suffix := range []string{".sig", ".att"} {
		pushSmallImage(t, mustTag(t, prefix+suffix), "payload of "+suffix)
	}

	counter.Reset()
	c := registry.New()
	ctx := t.Context()
	if _, _, err := c.Resolve(ctx, host+"/app:1.0.0"); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{".sig", ".att"} {
		img, err := remote.Image(mustTag(t, prefix+suffix), c.RemoteOptions(ctx)...)
		if err != nil {
			t.Fatal(err)
		}
		layers, err := img.Layers()
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range layers {
			rc, err := l.Compressed()
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil || string(b) != "payload of "+suffix {
				t.Fatalf("reading %s layer = %q, %v", suffix, b, err)
			}
		}
	}
	// ping (HTTPS probe + HTTP), HEAD, then GET manifest + GET blob twice.
	const want = 7
	if got := c.Requests(); got != want {
		t.Errorf("verify path made %d requests, want %d", got, want)
	}
	if got := counter.Count(); got != want-1 {
		t.Errorf("registry saw %d requests, want %d", got, want-1)
	}
}

func BenchmarkResolveTag(b *testing.B) {
	host := testreg.GGCR(b, false)
	testreg.PushSample(b, host, "app", "1.0.0")
	c := registry.New()
	ref := host + "/app:1.0.0"
	for b.Loop() {
		if _, _, err := c.Resolve(b.Context(), ref); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(c.Requests())/float64(b.N), "requests/op")
}
