package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vouchsec/vouch/internal/testreg"
)

const (
	// cmdTimeout bounds one command; a verify that takes longer is broken.
	cmdTimeout = 2 * time.Minute

	// deadProxy is a loopback port where nothing listens. Every proxy
	// variable points at it, so a request for anything but loopback fails
	// at once instead of leaving the machine; loopback is never proxied.
	deadProxy = "http://127.0.0.1:9"
)

// usage is what one command run cost.
type usage struct {
	wall     time.Duration
	maxRSS   int64 // bytes; 0 where the OS does not say
	requests int64 // registry requests made while it ran
}

// tally sums the usage of many runs, keeping the largest resident set.
type tally struct {
	wall     time.Duration
	maxRSS   int64
	requests int64
}

func (t *tally) add(u usage) {
	t.wall += u.wall
	t.requests += u.requests
	t.maxRSS = max(t.maxRSS, u.maxRSS)
}

// runner runs the benchmarked binaries in an environment that keeps them
// off the network and out of the user's home directory.
type runner struct {
	env     []string
	counter *testreg.Counter // may be nil: no requests are counted then
	// rss is the bench/rss helper each command runs under, which reports
	// the command's own peak resident set.
	rss string
}

// newRunner returns a runner with env and counter, measuring through the
// rss helper, built on first use.
func newRunner(tb testing.TB, env []string, counter *testreg.Counter) *runner {
	tb.Helper()
	return &runner{env: env, counter: counter, rss: rssHelper(tb)}
}

// rssBuilt is the bench/rss helper, built once per test process.
var rssBuilt struct {
	once sync.Once
	path string
	err  error
}

func rssHelper(tb testing.TB) string {
	tb.Helper()
	rssBuilt.once.Do(func() {
		dir, err := os.MkdirTemp("", "vouch-bench-rss-")
		if err != nil {
			rssBuilt.err = err
			return
		}
		rssBuilt.path = filepath.Join(dir, "rss")
		cmd := exec.Command("go", "build", "-o", rssBuilt.path, "./rss")
		cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
		if out, err := cmd.CombinedOutput(); err != nil {
			rssBuilt.err = fmt.Errorf("building bench/rss: %w\n%s", err, out)
		}
	})
	if rssBuilt.err != nil {
		tb.Fatal(rssBuilt.err)
	}
	return rssBuilt.path
}

// offlineEnv is the environment both CLIs run with: a private HOME, TUF
// cache and Docker config under home, and every proxy variable pointing at
// deadProxy.
func offlineEnv(home string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"TMPDIR=" + os.TempDir(),
		"TUF_ROOT=" + filepath.Join(home, "tuf"),
		"DOCKER_CONFIG=" + filepath.Join(home, "docker"),
		"COSIGN_EXPERIMENTAL=0",
		"NO_PROXY=127.0.0.1,localhost,::1",
		"no_proxy=127.0.0.1,localhost,::1",
	}
	for _, v := range []string{"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"} {
		env = append(env, v+"="+deadProxy)
	}
	return env
}

// run runs bin with args and extra environment entries and measures it.
// A non-zero exit is an error that carries the end of what it printed.
func (r *runner) run(extraEnv []string, bin string, args ...string) (usage, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	rssFile := ""
	cmd := exec.CommandContext(ctx, bin, args...)
	if r.rss != "" {
		f, err := os.CreateTemp("", "vouch-bench-rss-*")
		if err != nil {
			return usage{}, err
		}
		rssFile = f.Name()
		f.Close()
		defer os.Remove(rssFile)
		cmd = exec.CommandContext(ctx, r.rss, append([]string{rssFile, bin}, args...)...)
	}
	cmd.Env = append(slices.Clone(r.env), extraEnv...)
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr

	before := r.requestCount()
	start := time.Now()
	err := cmd.Run()
	u := usage{wall: time.Since(start), requests: r.requestCount() - before}
	if err != nil {
		return u, fmt.Errorf("%s %s: %w\nstdout:\n%s\nstderr:\n%s",
			filepath.Base(bin), strings.Join(args, " "), err,
			lastLines(stdout.String(), 20), lastLines(stderr.String(), 40))
	}
	if rssFile != "" {
		raw, err := os.ReadFile(rssFile)
		if err != nil {
			return u, fmt.Errorf("reading the peak resident set of %s: %w", filepath.Base(bin), err)
		}
		if u.maxRSS, err = strconv.ParseInt(strings.TrimSpace(string(raw)), 10, 64); err != nil {
			return u, fmt.Errorf("reading the peak resident set of %s: %w", filepath.Base(bin), err)
		}
	}
	return u, nil
}

func (r *runner) requestCount() int64 {
	if r.counter == nil {
		return 0
	}
	return r.counter.Count()
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{"..."}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
