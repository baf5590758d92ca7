// Package cosigncli gives tests the real cosign command-line tool, built from the
// cosign version that this module's go.mod pins with its
// `tool github.com/sigstore/cosign/v2/cmd/cosign` line, so that tests can check
// vouch's signatures with cosign and cosign's signatures with vouch.
//
// The binary is built once into <module root>/bin/cosign and rebuilt only when
// go.sum is newer than it; a file lock keeps test packages that run in parallel
// from building it at the same time. Set VOUCH_COSIGN_BIN to use another binary.
package cosigncli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vouchsec/vouch/internal/gotool"
)

const (
	// EnvBin names the environment variable that, when set, is used as the
	// path of the cosign binary instead of building one.
	EnvBin = "VOUCH_COSIGN_BIN"

	// ToolPackage is the package that go.mod's tool line names.
	ToolPackage = "github.com/sigstore/cosign/v2/cmd/cosign"

	buildTimeout = 15 * time.Minute
	runTimeout   = 2 * time.Minute

	// deadProxy is a loopback address where nothing listens: cosign's requests
	// to anything but loopback go there and fail at once. Go never proxies
	// requests to loopback addresses, so the test registry is still reached.
	deadProxy = "http://127.0.0.1:9"
)

// Path returns the path of a cosign binary built from this module's go.mod.
// A build failure fails the test; it is never a reason to skip.
func Path(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(EnvBin); p != "" {
		return p
	}
	root, err := gotool.ModuleRoot()
	if err != nil {
		t.Fatalf("cosigncli: %v", err)
	}
	bin := filepath.Join(root, "bin", "cosign")
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	if err := gotool.Ensure(ctx, root, ToolPackage, bin); err != nil {
		t.Fatalf("cosigncli: building %s: %v", ToolPackage, err)
	}
	return bin
}

// Run runs cosign with args and returns what it printed. It runs offline:
// HOME, TUF_ROOT and DOCKER_CONFIG point into a fresh temporary directory,
// COSIGN_EXPERIMENTAL=0, every proxy variable points at a closed loopback port
// (loopback registries are reached directly), and for the sign, attest and
// verify commands Run adds --tlog-upload=false or --insecure-ignore-tlog=true
// unless args already set that flag. env is added last, as KEY=VALUE entries
// (COSIGN_PASSWORD, for example). The command is killed after two minutes.
// A non-zero exit is returned as err (an *exec.ExitError).
func Run(t testing.TB, env []string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	bin := Path(t)
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()

	cmd := exec.CommandContext(ctx, bin, OfflineArgs(args)...)
	cmd.Env = append(baseEnv(t.TempDir()), env...)
	cmd.WaitDelay = 5 * time.Second
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("cosign %s: timed out after %s: %w", strings.Join(args, " "), runTimeout, err)
	}
	return out.String(), errOut.String(), err
}

// offlineFlags maps a cosign command to the flag that keeps it away from the
// public transparency log.
var offlineFlags = map[string]string{
	"sign":                    "--tlog-upload=false",
	"sign-blob":               "--tlog-upload=false",
	"attest":                  "--tlog-upload=false",
	"attest-blob":             "--tlog-upload=false",
	"verify":                  "--insecure-ignore-tlog=true",
	"verify-attestation":      "--insecure-ignore-tlog=true",
	"verify-blob":             "--insecure-ignore-tlog=true",
	"verify-blob-attestation": "--insecure-ignore-tlog=true",
}

// OfflineArgs returns args with the transparency-log flag that Run adds for
// args[0]'s command, placed right after the command name.
func OfflineArgs(args []string) []string {
	if len(args) == 0 {
		return args
	}
	flag, ok := offlineFlags[args[0]]
	if !ok {
		return args
	}
	flagName, _, _ := strings.Cut(flag, "=")
	for _, a := range args[1:] {
		if a == "--" {
			break
		}
		if a == flagName || strings.HasPrefix(a, flagName+"=") {
			return args
		}
	}
	out := make([]string, 0, len(args)+1)
	out = append(out, args[0], flag)
	return append(out, args[1:]...)
}

// baseEnv is the environment cosign runs with, before the caller's additions.
func baseEnv(home string) []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"TUF_ROOT=" + filepath.Join(home, ".sigstore", "root"),
		"DOCKER_CONFIG=" + filepath.Join(home, ".docker"),
		"COSIGN_EXPERIMENTAL=0",
		"HTTP_PROXY=" + deadProxy,
		"HTTPS_PROXY=" + deadProxy,
		"http_proxy=" + deadProxy,
		"https_proxy=" + deadProxy,
		"NO_PROXY=127.0.0.1,localhost,::1",
		"no_proxy=127.0.0.1,localhost,::1",
	}
}
