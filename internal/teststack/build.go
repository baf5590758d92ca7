package teststack

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/vouchsec/vouch/internal/gotool"
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
	root, err := gotool.ModuleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(root, "bin", "fulcio")
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	if err := gotool.Ensure(ctx, filepath.Join(root, "tools", "fulcio"), FulcioPackage, bin); err != nil {
		return "", fmt.Errorf("building %s: %w", FulcioPackage, err)
	}
	return bin, nil
}
