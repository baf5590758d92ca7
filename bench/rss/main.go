// Command rss runs a command and writes the peak resident set it reached,
// in bytes, to a file. The benchmarks run the CLIs they measure through
// it: on Linux a child started by the test process itself reports the
// test process's peak when that is higher (the child is vforked, and exec
// carries the shared memory's high-water mark into the child's), while a
// child of this small program reports its own.
//
// Usage: rss OUTFILE COMMAND [ARG...]. Standard streams and the
// environment pass through; the exit code is the command's.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: rss OUTFILE COMMAND [ARG...]")
		os.Exit(2)
	}
	cmd := exec.Command(os.Args[2], os.Args[3:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var rss int64
	if cmd.ProcessState != nil {
		rss = maxRSS(cmd.ProcessState)
	}
	if werr := os.WriteFile(os.Args[1], []byte(strconv.FormatInt(rss, 10)), 0o644); werr != nil {
		fmt.Fprintln(os.Stderr, "rss:", werr)
		os.Exit(125)
	}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		os.Exit(exit.ExitCode())
	case err != nil:
		fmt.Fprintln(os.Stderr, "rss:", err)
		os.Exit(127)
	}
}
