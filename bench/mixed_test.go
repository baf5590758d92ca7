package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	notationgo "github.com/notaryproject/notation-go"
	"github.com/notaryproject/notation-go/dir"
	nregistry "github.com/notaryproject/notation-go/registry"
	nverifier "github.com/notaryproject/notation-go/verifier"
	"github.com/notaryproject/notation-go/verifier/trustpolicy"
	"github.com/notaryproject/notation-go/verifier/truststore"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/vouchsec/vouch/internal/testreg"
)

// mixedPolicyYAML requires a cosign key signature and a notation signature.
const mixedPolicyYAML = `version: v1
signers:
  bench-key:
    cosign: {key: k.pub}
  notary:
    notation:
      trustStore: n-ca.crt
      identities: ["x509.subject: C=US, ST=WA, O=Bench"]
policies:
  - name: bench
    scope: ["*/bench/**"]
    signatures:
      allOf: [bench-key, notary]
`

// notationTrustPolicy is the standard trustpolicy.json that `notation
// verify` would read for the same check.
const notationTrustPolicy = `{
  "version": "1.0",
  "trustPolicies": [{
    "name": "bench",
    "registryScopes": ["*"],
    "signatureVerification": {"level": "strict"},
    "trustStores": ["ca:bench"],
    "trustedIdentities": ["x509.subject: C=US, ST=WA, O=Bench"]
  }]
}`

// BenchmarkVerifyMixed times the check of an image that carries one cosign
// signature and one notation signature: `vouch verify` against a policy
// that requires both, next to `cosign verify` plus notation-go's own
// verification (a standard trustpolicy.json and trust store directory, and
// notation.Verify, as the notation CLI drives it). notation-go runs in
// this process, so its figure has no process start-up in it: the
// comparison favours the pair.
func BenchmarkVerifyMixed(b *testing.B) {
	bins := buildBinaries(b)
	dir := b.TempDir()
	host, counter := testreg.GGCRCounted(b, true)
	run := newRunner(b, offlineEnv(filepath.Join(dir, "home")), counter)
	image := host + "/" + repo + "@" + testreg.PushSample(b, host, repo, "1.0.0").String()
	steps := [][]string{
		{"key", "generate", "--output-key-prefix", filepath.Join(dir, "k")},
		{"key", "generate", "--type", "notation", "--subject", "CN=bench,O=Bench,ST=WA,C=US",
			"--output-key-prefix", filepath.Join(dir, "n")},
		{"sign", "--key", filepath.Join(dir, "k.key"), image},
		{"sign", "--backend", "notation", "--key", filepath.Join(dir, "n.key"),
			"--cert", filepath.Join(dir, "n.crt"), image},
	}
	for _, args := range steps {
		mustRunEnv(b, run, []string{"VOUCH_PASSWORD=" + password}, bins.vouch, args)
	}
	pol := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(pol, []byte(mixedPolicyYAML), 0o600); err != nil {
		b.Fatal(err)
	}
	nv := newNotationVerify(b, filepath.Join(dir, "notation"), filepath.Join(dir, "n-ca.crt"))
	vouchArgs := []string{"verify", "--policy", pol, image}
	cosignArgs := []string{"verify", "--key", filepath.Join(dir, "k.pub"),
		"--insecure-ignore-tlog=true", image}

	// Once untimed: a warm page cache, and a failure before any number.
	mustRun(b, run, bins.vouch, vouchArgs)
	mustRun(b, run, bins.cosign, cosignArgs)
	nv.run(b, counter, image)

	var v, c tally
	var n usage
	for b.Loop() {
		v.add(mustRun(b, run, bins.vouch, vouchArgs))
		c.add(mustRun(b, run, bins.cosign, cosignArgs))
		u := nv.run(b, counter, image)
		n.wall += u.wall
		n.requests += u.requests
	}
	per := float64(b.N)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1e3 / per }
	b.ReportMetric(ms(v.wall), "vouch-ms/op")
	b.ReportMetric(ms(c.wall), "cosign-ms/op")
	b.ReportMetric(ms(n.wall), "notation-go-ms/op")
	b.ReportMetric(float64(v.wall)/float64(c.wall+n.wall), "ratio")
	b.ReportMetric(float64(v.requests)/per, "vouch-requests/op")
	b.ReportMetric(float64(c.requests+n.requests)/per, "cosign+notation-requests/op")
	b.ReportMetric(float64(v.maxRSS)/(1<<20), "vouch-maxrss-MB")
	b.ReportMetric(float64(c.maxRSS)/(1<<20), "cosign-maxrss-MB")
}

func mustRunEnv(b *testing.B, r *runner, env []string, bin string, args []string) {
	b.Helper()
	if _, err := r.run(env, bin, args...); err != nil {
		b.Fatal(err)
	}
}

// notationVerify is notation-go's verification set up as the notation CLI
// sets it up from its configuration directory.
type notationVerify struct {
	cfg dir.SysFS
}

// newNotationVerify writes a notation configuration directory at root: the
// trust policy and the CA in truststore/x509/ca/bench.
func newNotationVerify(b *testing.B, root, caFile string) *notationVerify {
	b.Helper()
	ca, err := os.ReadFile(caFile)
	if err != nil {
		b.Fatal(err)
	}
	store := filepath.Join(root, "truststore", "x509", "ca", "bench")
	if err := os.MkdirAll(store, 0o700); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(store, "ca.crt"), ca, 0o600); err != nil {
		b.Fatal(err)
	}
	tp := filepath.Join(root, dir.PathTrustPolicy)
	if err := os.WriteFile(tp, []byte(notationTrustPolicy), 0o600); err != nil {
		b.Fatal(err)
	}
	return &notationVerify{cfg: dir.NewSysFS(root)}
}

// run reads the trust policy, builds the verifier and verifies image, as
// one `notation verify` would, and measures it.
func (nv *notationVerify) run(b *testing.B, counter *testreg.Counter, image string) usage {
	b.Helper()
	before, start := counter.Count(), time.Now()
	if err := nv.verify(image); err != nil {
		b.Fatal(err)
	}
	return usage{wall: time.Since(start), requests: counter.Count() - before}
}

func (nv *notationVerify) verify(image string) error {
	p, err := nv.cfg.SysPath(dir.PathTrustPolicy)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	var doc trustpolicy.Document
	if err := json.Unmarshal(data, &doc); err != nil {
		return err
	}
	v, err := nverifier.New(&doc, truststore.NewX509TrustStore(nv.cfg), nil)
	if err != nil {
		return err
	}
	r, err := remote.NewRepository(image)
	if err != nil {
		return err
	}
	r.PlainHTTP = true
	_, _, err = notationgo.Verify(context.Background(), v, nregistry.NewRepository(r),
		notationgo.VerifyOptions{ArtifactReference: image, MaxSignatureAttempts: 50})
	if err != nil {
		return fmt.Errorf("notation-go verify %s: %w", image, err)
	}
	return nil
}
