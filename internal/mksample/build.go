package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// helloPackage is the program that goes into the binary layer.
const helloPackage = "github.com/vouchsec/vouch/internal/mksample/hello"

// buildHello cross-compiles the hello program for linux/goarch into dir and
// returns the binary's path. Everything that could vary between machines
// (VCS stamps, paths, CPU feature levels, cgo) is pinned so that the same
// toolchain always produces the same bytes.
func buildHello(ctx context.Context, goarch, dir string) (string, error) {
	out := filepath.Join(dir, "hello-"+goarch)
	cmd := exec.CommandContext(ctx, goCommand(), "build",
		"-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-o", out, helloPackage)
	cmd.Env = append(os.Environ(),
		"CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch,
		"GOAMD64=v1", "GOARM64=v8.0", "GOFLAGS=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building %s for linux/%s: %w: %s",
			helloPackage, goarch, err, bytes.TrimSpace(stderr.Bytes()))
	}
	return out, nil
}

// goCommand is the go binary of the running toolchain when go generate or
// go test told us where it is, else the one on PATH.
func goCommand() string {
	if root := os.Getenv("GOROOT"); root != "" {
		p := filepath.Join(root, "bin", "go")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return "go"
}
