package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/vouchsec/vouch/internal/cosigncli"
	"github.com/vouchsec/vouch/internal/testreg"

	"github.com/vouchsec/vouch/internal/gotool"
)

const (
	// password encrypts the throwaway key the benchmarks sign with.
	password = "vouch-bench"
	// repo is where the sample image is pushed in the test registry.
	repo = "bench/app"
	// buildTimeout bounds the build of the vouch binary.
	buildTimeout = 15 * time.Minute
)

// policyYAML requires what the cosign commands check: the image signature
// and an SBOM and a vulnerability-scan attestation, all by the one key.
const policyYAML = `version: v1
signers:
  bench-key:
    cosign: {key: k.pub}
policies:
  - name: bench
    scope: ["*/bench/**"]
    signatures:
      anyOf: [bench-key]
    attestations:
      - {type: sbom, signedBy: [bench-key]}
      - {type: vuln, signedBy: [bench-key]}
`

// binaries are the two CLIs under test, both built from this module.
type binaries struct {
	vouch, cosign string
}

// built is the vouch binary, built once per test process into a directory
// that TestMain removes.
var built struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// buildBinaries returns both binaries, building them on first use.
func buildBinaries(tb testing.TB) binaries {
	tb.Helper()
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "vouch-bench-")
		if built.err != nil {
			return
		}
		built.path = filepath.Join(built.dir, "vouch")
		built.err = buildVouch(built.path)
	})
	if built.err != nil {
		tb.Fatal(built.err)
	}
	return binaries{vouch: built.path, cosign: cosigncli.Path(tb)}
}

// removeBinaries removes what buildBinaries built.
func removeBinaries() {
	if built.dir != "" {
		_ = os.RemoveAll(built.dir)
	}
}

// fixture is what BenchmarkVerify works on: a registry holding the sample
// image signed and attested by vouch, the public key and the policy.
type fixture struct {
	binaries
	run    *runner
	image  string // host/repo@sha256:...
	pub    string // the public key, PEM
	policy string // the policy file
}

// newFixture starts a counting registry, pushes the sample image and makes
// its evidence with vouch; the registry stops when tb ends.
func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	fx := &fixture{binaries: buildBinaries(tb)}
	dir := tb.TempDir()
	host, counter := testreg.GGCRCounted(tb, true)
	fx.run = newRunner(tb, offlineEnv(filepath.Join(dir, "home")), counter)
	digest := testreg.PushSample(tb, host, repo, "1.0.0")
	fx.image = host + "/" + repo + "@" + digest.String()
	if err := fx.makeEvidence(dir); err != nil {
		tb.Fatal(err)
	}
	if err := fx.check(); err != nil {
		tb.Fatalf("checking the evidence before timing: %v", err)
	}
	return fx
}

// makeEvidence signs and attests the image with vouch and writes the key
// pair and the policy into dir.
func (fx *fixture) makeEvidence(dir string) error {
	root, err := gotool.ModuleRoot()
	if err != nil {
		return err
	}
	scan, err := cleanScan(root)
	if err != nil {
		return err
	}
	prefix := filepath.Join(dir, "k")
	key := prefix + ".key"
	fx.pub = prefix + ".pub"
	sbom := filepath.Join(root, "testdata", "sbom", "sample.spdx.json")
	steps := [][]string{
		{"key", "generate", "--output-key-prefix", prefix},
		{"sign", "--key", key, fx.image},
		{"attest", "--key", key, "--sbom", sbom, fx.image},
		{"attest", "--key", key, "--scan", scan, fx.image},
	}
	env := []string{"VOUCH_PASSWORD=" + password}
	for _, args := range steps {
		if _, err := fx.run.run(env, fx.vouch, args...); err != nil {
			return fmt.Errorf("making evidence: %w", err)
		}
	}
	fx.policy = filepath.Join(dir, "policy.yaml")
	return os.WriteFile(fx.policy, []byte(policyYAML), 0o600)
}

// check runs each benchmarked command once, untimed: it warms the page
// cache and fails setup if either tool rejects the evidence.
func (fx *fixture) check() error {
	if _, err := fx.run.run(nil, fx.vouch, fx.vouchVerify()...); err != nil {
		return err
	}
	for _, args := range fx.cosignVerify() {
		if _, err := fx.run.run(nil, fx.cosign, args...); err != nil {
			return err
		}
	}
	return nil
}

// vouchVerify is the vouch command line that checks everything at once.
func (fx *fixture) vouchVerify() []string {
	return []string{"verify", "--policy", fx.policy, fx.image}
}

// cosignVerify are the cosign command lines that check the same things:
// the signature, then each attestation type. The key-pair checks need no
// transparency log, so nothing leaves the machine.
func (fx *fixture) cosignVerify() [][]string {
	cmd := func(name string, extra ...string) []string {
		args := []string{name, "--key", fx.pub, "--insecure-ignore-tlog=true"}
		return append(append(args, extra...), fx.image)
	}
	return [][]string{
		cmd("verify"),
		cmd("verify-attestation", "--type", "spdxjson"),
		cmd("verify-attestation", "--type", "vuln"),
	}
}

// cleanScan finds the scan report with no findings: testdata/scan/clean.*.json.
func cleanScan(root string) (string, error) {
	pattern := filepath.Join(root, "testdata", "scan", "clean.*.json")
	matches, err := filepath.Glob(pattern)
	if err != nil {
		return "", err
	}
	if len(matches) == 0 {
		return "", fmt.Errorf("no scan report matches %s", pattern)
	}
	sort.Strings(matches)
	return matches[0], nil
}

// buildVouch builds ./cmd/vouch from this module into out.
func buildVouch(out string) error {
	root, err := gotool.ModuleRoot()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/vouch")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building vouch: %w\n%s", err, b)
	}
	return nil
}
