package sigstore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sigstore/sigstore-go/pkg/bundle"
)

// ErrExists is returned by WriteBundle when the output file is already
// there.
var ErrExists = errors.New("file already exists")

// WriteBundle writes b as JSON to path, mode 0644, refusing with
// ErrExists when path exists. The content is written and synced to a
// temporary file in the same directory first and then linked into place:
// a link, unlike a rename, fails rather than replaces a file that
// appeared meanwhile, so path is never partial or overwritten.
func WriteBundle(path string, b *bundle.Bundle) error {
	if b == nil || b.Bundle == nil {
		return inputErr("bundle", errors.New("none given"))
	}
	data, err := b.MarshalJSON()
	if err != nil {
		return fmt.Errorf("encoding bundle: %w", err)
	}
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("writing bundle: %s: %w", path, ErrExists)
	}
	if err := writeNew(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing bundle %s: %w", path, err)
	}
	return nil
}

// writeNew writes data to a temporary file and links it to path.
func writeNew(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() { _ = os.Remove(tmp) }()
	if err := writeSync(f, data, perm); err != nil {
		return err
	}
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s: %w", path, ErrExists)
		}
		return err
	}
	return nil
}

// writeSync sets f's mode, writes data, syncs and closes f.
func writeSync(f *os.File, data []byte, perm os.FileMode) error {
	err := f.Chmod(perm)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
