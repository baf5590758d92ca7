// Package testplugin builds notation-vouchtest, a real notation signing
// plugin (see cmd/notation-vouchtest), for tests that sign through notation's
// plugin mechanism.
//
// The plugin signs with a key and certificate chain from files: plugin config
// "key" and "cert", or else the key ID as a path prefix P naming P.key and
// P.crt. testpki.PKI.WriteFiles writes such files.
package testplugin

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// Name is the plugin's name, as notation's --plugin flag takes it.
const Name = "vouchtest"

const pkgPath = "github.com/vouchsec/vouch/internal/testplugin/cmd/notation-" + Name

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
	buildLog  []byte
)

// Build returns a fresh plugin directory that holds the plugin executable at
// <pluginDir>/vouchtest/notation-vouchtest, where notation-go's plugin
// manager looks for it. The executable is built with `go build` once per
// test binary; that build is left in the system temporary directory.
func Build(t testing.TB) (pluginDir string) {
	t.Helper()
	buildOnce.Do(build)
	if buildErr != nil {
		t.Fatalf("testplugin: building %s: %v\n%s", pkgPath, buildErr, buildLog)
	}
	pluginDir = filepath.Join(t.TempDir(), "plugins")
	dst := filepath.Join(pluginDir, Name, "notation-"+Name)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatalf("testplugin: %v", err)
	}
	if err := linkOrCopy(builtBin, dst); err != nil {
		t.Fatalf("testplugin: installing plugin: %v", err)
	}
	return pluginDir
}

// build compiles the plugin into a new temporary directory.
func build() {
	dir, err := os.MkdirTemp("", "vouch-testplugin-")
	if err != nil {
		buildErr = err
		return
	}
	builtBin = filepath.Join(dir, "notation-"+Name)
	cmd := exec.Command("go", "build", "-o", builtBin, pkgPath)
	buildLog, buildErr = cmd.CombinedOutput()
}

// linkOrCopy hard-links src to dst, copying when linking is not possible.
func linkOrCopy(src, dst string) error {
	if os.Link(src, dst) == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
