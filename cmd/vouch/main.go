// Command vouch signs container images, attests SBOMs and scan results
// about them, verifies all of it against one trust policy, and promotes
// images between registries only when that policy holds.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// Set by the linker at release time (see goreleaser.yaml).
var (
	version = ""
	commit  = ""
	date    = ""
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], newStdio())
	stop()
	os.Exit(code)
}
