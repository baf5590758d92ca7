package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/vouchsec/vouch/internal/testreg"
)

const testPassword = "correct horse battery staple"

// harness runs vouch commands in process against one registry.
type harness struct {
	t    *testing.T
	dir  string
	host string
	env  map[string]string
}

func newHarness(t *testing.T, host string) *harness {
	t.Helper()
	return &harness{t: t, dir: t.TempDir(), host: host,
		env: map[string]string{"VOUCH_PASSWORD": testPassword}}
}

// vouch runs one command line and returns its exit code and output.
func (h *harness) vouch(args ...string) (int, string) {
	h.t.Helper()
	var out bytes.Buffer
	s := &stdio{in: strings.NewReader(""), out: &out, err: &out,
		env: func(k string) (string, bool) { v, ok := h.env[k]; return v, ok }}
	code := run(context.Background(), args, s)
	return code, out.String()
}

// must runs a command that has to succeed.
func (h *harness) must(args ...string) string {
	h.t.Helper()
	code, out := h.vouch(args...)
	if code != exitOK {
		h.t.Fatalf("vouch %s: exit %d\n%s", strings.Join(args, " "), code, out)
	}
	return out
}

// expect runs a command that has to exit with code and print every
// fragment.
func (h *harness) expect(code int, fragments []string, args ...string) string {
	h.t.Helper()
	got, out := h.vouch(args...)
	if got != code {
		h.t.Fatalf("vouch %s: exit %d, want %d\n%s", strings.Join(args, " "), got, code, out)
	}
	for _, f := range fragments {
		if !strings.Contains(out, f) {
			h.t.Errorf("vouch %s: output lacks %q\n%s", strings.Join(args, " "), f, out)
		}
	}
	return out
}

func (h *harness) path(p string) string { return filepath.Join(h.dir, p) }

func (h *harness) ref(s string) string { return h.host + "/" + s }

// write puts a file in the harness directory.
func (h *harness) write(name, content string) string {
	h.t.Helper()
	p := h.path(name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		h.t.Fatal(err)
	}
	return p
}

// keys generates the release and ci key pairs.
func (h *harness) keys(names ...string) {
	h.t.Helper()
	if err := os.MkdirAll(h.path("keys"), 0o700); err != nil {
		h.t.Fatal(err)
	}
	for _, n := range names {
		h.must("key", "generate", "--output-key-prefix", h.path("keys/"+n))
	}
}

// push puts the sample image at repo:tag and returns its digest reference.
func (h *harness) push(repo, tag string) (string, v1.Hash) {
	h.t.Helper()
	d := testreg.PushSample(h.t, h.host, repo, tag)
	return h.ref(repo + "@" + d.String()), d
}

// testdataPath finds a file under the module's testdata directory.
func testdataPath(t *testing.T, p string) string {
	t.Helper()
	return filepath.Join("..", "..", "testdata", filepath.FromSlash(p))
}

// policyText is a policy with the given policies section, signers release
// and ci, keys under the harness directory.
func (h *harness) policy(policies string) string {
	h.t.Helper()
	return h.write("policy.yaml", `version: v1
signers:
  release: {cosign: {key: keys/release.pub}}
  ci: {cosign: {key: keys/ci.pub}}
policies:
`+policies)
}
