package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/vouchsec/vouch/attest"
	"github.com/vouchsec/vouch/internal/testreg"
	vcosign "github.com/vouchsec/vouch/pkg/cosign"

	"github.com/vouchsec/vouch/internal/gotool"
)

// batchImages is how many distinct images BenchmarkVerifyBatch verifies.
const batchImages = 200

// batchPolicyYAML requires a signature and an SBOM attestation by one key:
// more than the cosign loop checks (the signature only).
const batchPolicyYAML = `version: v1
signers:
  bench-key:
    cosign: {key: k.pub}
policies:
  - name: bench
    scope: ["*/batch/**"]
    signatures: {anyOf: [bench-key]}
    attestations:
      - {type: sbom, signedBy: [bench-key]}
`

// BenchmarkVerifyBatch times `vouch verify -f` over batchImages signed and
// attested images with --jobs 1 and --jobs 8, against a shell-style loop
// of `cosign verify`, one process per image, over the same images. Each
// iteration runs the vouch command once and the cosign loop once.
func BenchmarkVerifyBatch(b *testing.B) {
	bins := buildBinaries(b)
	dir := b.TempDir()
	host, counter := testreg.GGCRCounted(b, true)
	run := newRunner(b, offlineEnv(filepath.Join(dir, "home")), counter)
	images := batchFixture(b, host, dir)
	list := filepath.Join(dir, "images.txt")
	if err := os.WriteFile(list, []byte(strings.Join(images, "\n")+"\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	pol := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(pol, []byte(batchPolicyYAML), 0o600); err != nil {
		b.Fatal(err)
	}
	pub := filepath.Join(dir, "k.pub")
	cosignOne := func(img string) []string {
		return []string{"verify", "--key", pub, "--insecure-ignore-tlog=true", img}
	}
	mustRun(b, run, bins.cosign, cosignOne(images[0]))
	for _, jobs := range []int{1, 8} {
		b.Run(fmt.Sprintf("jobs=%d", jobs), func(b *testing.B) {
			args := []string{"verify", "--policy", pol, "-f", list, "--jobs", fmt.Sprint(jobs), "-o", "json"}
			mustRun(b, run, bins.vouch, args)
			var v, c tally
			for b.Loop() {
				v.add(mustRun(b, run, bins.vouch, args))
				for _, img := range images {
					c.add(mustRun(b, run, bins.cosign, cosignOne(img)))
				}
			}
			n := float64(b.N) * batchImages
			b.ReportMetric(n/v.wall.Seconds(), "vouch-images/s")
			b.ReportMetric(n/c.wall.Seconds(), "cosign-images/s")
			b.ReportMetric(c.wall.Seconds()/v.wall.Seconds(), "speedup")
			b.ReportMetric(float64(v.maxRSS)/(1<<20), "vouch-maxrss-MB")
			b.ReportMetric(float64(v.requests)/float64(b.N), "vouch-requests/op")
		})
	}
}

// batchFixture pushes batchImages variants of the sample image (one
// annotation apart, so each has its own digest), signs each and attests
// the sample SBOM, in process, and writes the key pair into dir. It
// returns the images' digest references.
func batchFixture(b *testing.B, host, dir string) []string {
	b.Helper()
	ctx := context.Background()
	keyPath, _, err := vcosign.WriteKeyPair(filepath.Join(dir, "k"), []byte(password))
	if err != nil {
		b.Fatal(err)
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		b.Fatal(err)
	}
	sv, err := vcosign.LoadPrivateKey(keyPEM, []byte(password))
	if err != nil {
		b.Fatal(err)
	}
	root, err := gotool.ModuleRoot()
	if err != nil {
		b.Fatal(err)
	}
	sbom, err := os.ReadFile(filepath.Join(root, "testdata", "sbom", "sample.spdx.json"))
	if err != nil {
		b.Fatal(err)
	}
	parsed, err := attest.ParseSBOM(sbom)
	if err != nil {
		b.Fatal(err)
	}
	base := testreg.SampleIndex(b)
	start := time.Now()
	images := make([]string, 0, batchImages)
	for i := range batchImages {
		idx := mutate.Annotations(base, map[string]string{"bench.vouch.dev/n": fmt.Sprint(i)}).(v1.ImageIndex)
		h, err := idx.Digest()
		if err != nil {
			b.Fatal(err)
		}
		repo := fmt.Sprintf("%s/batch/app%d", host, i%20)
		d, err := name.NewDigest(repo + "@" + h.String())
		if err != nil {
			b.Fatal(err)
		}
		if err := remote.WriteIndex(d.Context().Tag("v"+fmt.Sprint(i)), idx, remote.WithContext(ctx)); err != nil {
			b.Fatal(err)
		}
		ropts := []remote.Option{remote.WithContext(ctx)}
		if _, err := vcosign.Sign(ctx, d, sv, ropts); err != nil {
			b.Fatal(err)
		}
		st, err := attest.Statement(d.Context().Name(), h, parsed.PredicateType(), parsed.Document)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := vcosign.Attest(ctx, d, sv, st, parsed.PredicateType(), ropts); err != nil {
			b.Fatal(err)
		}
		images = append(images, d.String())
	}
	b.Logf("made %d signed and attested images in %s", batchImages, time.Since(start).Round(time.Millisecond))
	return images
}
