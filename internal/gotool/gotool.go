// Package gotool builds, for the tests and benchmarks, the Go programs they
// run beside vouch (the cosign CLI, Fulcio) at the versions a module's go.mod
// pins, into <module root>/bin. A binary is rebuilt only when the go.sum of
// the module it is built from is newer than it, and a lock file beside it
// keeps test packages that run in parallel from building it at once.
package gotool

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// ModuleRoot finds the directory holding go.mod, starting from the working
// directory (the package directory, under go test).
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding module root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("finding module root: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Ensure builds pkg, with the module in modDir, into bin unless bin is
// newer than that module's go.sum. The build goes to a temporary file
// renamed over bin, so that a reader never sees a half-written binary.
func Ensure(ctx context.Context, modDir, pkg, bin string) error {
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return err
	}
	unlock, err := lockFile(bin + ".lock")
	if err != nil {
		return err
	}
	defer unlock()

	fresh, err := upToDate(bin, filepath.Join(modDir, "go.sum"))
	if err != nil || fresh {
		return err
	}
	return build(ctx, modDir, pkg, bin)
}

// upToDate reports whether bin exists and is newer than sum.
func upToDate(bin, sum string) (bool, error) {
	b, err := os.Stat(bin)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	s, err := os.Stat(sum)
	if err != nil {
		return false, err
	}
	return b.ModTime().After(s.ModTime()), nil
}

func build(ctx context.Context, modDir, pkg, bin string) error {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(bin), "."+filepath.Base(bin)+"-build-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	f.Close()
	cmd := exec.CommandContext(ctx, goBin, "build", "-o", tmp, pkg)
	cmd.Dir = modDir
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	if out, err := cmd.CombinedOutput(); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("%w\n%s", err, out)
	}
	return os.Rename(tmp, bin)
}
