package teststack

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

const (
	// EnvFulcioBin names the environment variable that, when set, is used
	// as the path of the fulcio binary instead of building one.
	EnvFulcioBin = "VOUCH_FULCIO_BIN"

	// FulcioPackage is the package that tools/fulcio/go.mod's tool line
	// names.
	FulcioPackage = "github.com/sigstore/fulcio"

	buildTimeout = 15 * time.Minute
)

// fulcioBinary returns the path of a fulcio binary: $VOUCH_FULCIO_BIN, or
// <module root>/bin/fulcio built from tools/fulcio, rebuilt when
// tools/fulcio/go.sum is newer than it.
func fulcioBinary() (string, error) {
	if p := os.Getenv(EnvFulcioBin); p != "" {
		return p, nil
	}
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(root, "bin", "fulcio")
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	if err := ensureBuilt(ctx, filepath.Join(root, "tools", "fulcio"), bin); err != nil {
		return "", fmt.Errorf("building %s: %w", FulcioPackage, err)
	}
	return bin, nil
}

// moduleRoot finds the directory holding the main module's go.mod, starting
// from the working directory (a package directory under go test).
func moduleRoot() (string, error) {
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

// ensureBuilt builds bin from the module in modDir unless bin is newer than
// that module's go.sum, holding a lock file beside bin so that only one
// process builds at a time.
func ensureBuilt(ctx context.Context, modDir, bin string) error {
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
	return build(ctx, modDir, bin)
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

// build runs go build in modDir into a temporary file and renames it over
// bin, so that a reader never sees a half-written binary.
func build(ctx context.Context, modDir, bin string) error {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(bin), ".fulcio-build-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	f.Close()
	cmd := exec.CommandContext(ctx, goBin, "build", "-o", tmp, FulcioPackage)
	cmd.Dir = modDir
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	if out, err := cmd.CombinedOutput(); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("%w\n%s", err, out)
	}
	return os.Rename(tmp, bin)
}
