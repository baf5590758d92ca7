package report

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/vouchsec/vouch/verify"
)

// WriteFile renders rep in format f to the file at path, atomically: the
// report goes to a temporary file in the same directory, which is synced
// and then renamed over path, so that path holds either the whole report
// or whatever it held before. The file is readable by all (mode 0644).
func WriteFile(path string, f Format, rep *verify.Report, opts Options) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := Write(tmp, f, rep, opts); err != nil {
		return fmt.Errorf("writing report to %s: %w", tmp.Name(), err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	if err := errors.Join(tmp.Sync(), tmp.Close()); err != nil {
		return fmt.Errorf("writing report to %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	return nil
}
