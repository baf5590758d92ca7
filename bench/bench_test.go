package bench

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	removeBinaries()
	os.Exit(code)
}

// BenchmarkVerify times one full check of the sample image: `vouch verify`
// against the policy, then the three cosign commands that check the same
// signature and attestations. Each iteration runs both, in that order.
func BenchmarkVerify(b *testing.B) {
	fx := newFixture(b)
	vouchArgs, cosignArgs := fx.vouchVerify(), fx.cosignVerify()
	var v, c tally
	for b.Loop() {
		v.add(mustRun(b, fx.run, fx.vouch, vouchArgs))
		for _, args := range cosignArgs {
			c.add(mustRun(b, fx.run, fx.cosign, args))
		}
	}
	report(b, v, c, "cosign-verify-maxrss-MB", true)
}

// BenchmarkVersion times start-up alone: `vouch version` against
// `cosign version`, interleaved.
func BenchmarkVersion(b *testing.B) {
	bins := buildBinaries(b)
	r := newRunner(b, offlineEnv(b.TempDir()), nil)
	// One untimed run each, so that neither pays for a cold page cache.
	mustRun(b, r, bins.vouch, []string{"version"})
	mustRun(b, r, bins.cosign, []string{"version"})
	var v, c tally
	for b.Loop() {
		v.add(mustRun(b, r, bins.vouch, []string{"version"}))
		c.add(mustRun(b, r, bins.cosign, []string{"version"}))
	}
	report(b, v, c, "cosign-maxrss-MB", false)
}

// mustRun runs one command and fails the benchmark if it exits non-zero:
// a failed run never contributes numbers.
func mustRun(b *testing.B, r *runner, bin string, args []string) usage {
	b.Helper()
	u, err := r.run(nil, bin, args...)
	if err != nil {
		b.Fatal(err)
	}
	return u
}

// report turns the tallies of b.N iterations into per-operation metrics,
// with registry request counts when requests is set.
func report(b *testing.B, v, c tally, cosignRSSUnit string, requests bool) {
	n := float64(b.N)
	ms := func(t tally) float64 { return float64(t.wall.Microseconds()) / 1e3 / n }
	b.ReportMetric(ms(v), "vouch-ms/op")
	b.ReportMetric(ms(c), "cosign-ms/op")
	if c.wall > 0 {
		b.ReportMetric(float64(v.wall)/float64(c.wall), "ratio")
	}
	if requests {
		b.ReportMetric(float64(v.requests)/n, "vouch-requests/op")
		b.ReportMetric(float64(c.requests)/n, "cosign-requests/op")
	}
	b.ReportMetric(float64(v.maxRSS)/(1<<20), "vouch-maxrss-MB")
	b.ReportMetric(float64(c.maxRSS)/(1<<20), cosignRSSUnit)
}
