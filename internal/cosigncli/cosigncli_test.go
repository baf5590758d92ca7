package cosigncli

import (
	"debug/buildinfo"
	"errors"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vouchsec/vouch/internal/gotool"
)

func TestOfflineArgs(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"empty", nil, nil},
		{"other command untouched", []string{"version"}, []string{"version"}},
		{
			"sign gets tlog-upload",
			[]string{"sign", "--key", "k", "img"},
			[]string{"sign", "--tlog-upload=false", "--key", "k", "img"},
		},
		{
			"attest gets tlog-upload",
			[]string{"attest", "img"},
			[]string{"attest", "--tlog-upload=false", "img"},
		},
		{
			"verify gets ignore-tlog",
			[]string{"verify", "--key", "k", "img"},
			[]string{"verify", "--insecure-ignore-tlog=true", "--key", "k", "img"},
		},
		{
			"verify-attestation gets ignore-tlog",
			[]string{"verify-attestation", "img"},
			[]string{"verify-attestation", "--insecure-ignore-tlog=true", "img"},
		},
		{
			"caller's value kept",
			[]string{"sign", "--tlog-upload=true", "img"},
			[]string{"sign", "--tlog-upload=true", "img"},
		},
		{
			"caller's bare flag kept",
			[]string{"verify", "--insecure-ignore-tlog", "img"},
			[]string{"verify", "--insecure-ignore-tlog", "img"},
		},
		{
			"flag after -- is not a flag",
			[]string{"verify", "--", "--insecure-ignore-tlog=false"},
			[]string{"verify", "--insecure-ignore-tlog=true", "--", "--insecure-ignore-tlog=false"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := OfflineArgs(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("OfflineArgs(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestPathBuildsGoModVersion checks that the binary is cosign at the version
// go.mod selects, not whatever cosign happens to be on PATH.
func TestPathBuildsGoModVersion(t *testing.T) {
	bin := Path(t)
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatalf("reading build info of %s: %v", bin, err)
	}
	if info.Path != ToolPackage {
		t.Errorf("binary's main package = %q, want %q", info.Path, ToolPackage)
	}
	root, err := gotool.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Version}}", "github.com/sigstore/cosign/v2")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	want := strings.TrimSpace(string(out))
	got := info.Main.Version
	for _, d := range info.Deps {
		if d.Path == "github.com/sigstore/cosign/v2" {
			got = d.Version
		}
	}
	if got != want {
		t.Errorf("binary has cosign %q, go.mod selects %q", got, want)
	}
	if filepath.Base(bin) != "cosign" {
		t.Errorf("Path = %s, want a file named cosign", bin)
	}
}

func TestRunEnvironment(t *testing.T) {
	t.Setenv("COSIGN_REPOSITORY", "leaked.example/repo")
	stdout, stderr, err := Run(t, []string{"COSIGN_PASSWORD=pw"}, "env", "--show-descriptions=false")
	if err != nil {
		t.Fatalf("cosign env: %v\n%s", err, stderr)
	}
	for _, want := range []string{"COSIGN_EXPERIMENTAL=0", "COSIGN_PASSWORD=******", "TUF_ROOT=/"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("cosign env output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "leaked.example") {
		t.Errorf("the test process's COSIGN_REPOSITORY reached cosign:\n%s", stdout)
	}
}

func TestRunReportsExitStatus(t *testing.T) {
	_, stderr, err := Run(t, nil, "no-such-command")
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		t.Fatalf("Run(no-such-command) error = %v, want an *exec.ExitError (stderr: %s)", err, stderr)
	}
	if !strings.Contains(stderr, "unknown command") {
		t.Errorf("stderr = %q, want cosign's unknown-command message", stderr)
	}
}
