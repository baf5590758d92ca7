package bundle

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// publish moves the staged bundle in stage to out: the directory itself
// by rename, or a tar file of it written beside out and renamed over it.
// It returns the bundle's size in bytes.
func publish(stage, out string, mtime time.Time) (int64, error) {
	if !isTar(out) {
		size, err := treeSize(stage)
		if err != nil {
			return 0, err
		}
		if err := os.Chmod(stage, 0o755); err != nil {
			return 0, err
		}
		if err := os.Rename(stage, out); err != nil {
			return 0, fmt.Errorf("moving the bundle into place: %w", err)
		}
		return size, nil
	}
	f, err := os.CreateTemp(filepath.Dir(out), ".vouch-bundle-*.tar")
	if err != nil {
		return 0, err
	}
	defer os.Remove(f.Name())
	err = writeTar(f, stage, mtime)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("writing %s: %w", out, err)
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return 0, err
	}
	fi, err := os.Stat(f.Name())
	if err != nil {
		return 0, err
	}
	if err := os.Rename(f.Name(), out); err != nil {
		return 0, fmt.Errorf("moving the bundle into place: %w", err)
	}
	return fi.Size(), nil
}

// treeSize sums the sizes of the regular files under dir.
func treeSize(dir string) (int64, error) {
	var size int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		fi, err := d.Info()
		if err == nil {
			size += fi.Size()
		}
		return err
	})
	return size, err
}

// writeTar writes the layout in dir as a tar stream: oci-layout and
// index.json first, then the blob directories and blobs in name order,
// every entry with the same modification time and plain modes, so one
// bundle always makes the same bytes.
func writeTar(w io.Writer, dir string, mtime time.Time) error {
	tw := tar.NewWriter(w)
	names := []string{"oci-layout", "index.json", "blobs/", "blobs/sha256/"}
	blobs, err := os.ReadDir(filepath.Join(dir, "blobs", "sha256"))
	if err != nil {
		return err
	}
	for _, b := range blobs {
		if b.Type().IsRegular() && len(b.Name()) == 64 {
			names = append(names, "blobs/sha256/"+b.Name())
		}
	}
	for _, n := range names {
		if err := addTarEntry(tw, dir, n, mtime); err != nil {
			return err
		}
	}
	return tw.Close()
}

func addTarEntry(tw *tar.Writer, dir, name string, mtime time.Time) error {
	hdr := &tar.Header{Name: name, ModTime: mtime.UTC().Truncate(time.Second)}
	if name[len(name)-1] == '/' {
		hdr.Typeflag, hdr.Mode = tar.TypeDir, 0o755
		return tw.WriteHeader(hdr)
	}
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(name)))
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	hdr.Typeflag, hdr.Mode, hdr.Size = tar.TypeReg, 0o644, fi.Size()
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	_, err = io.Copy(tw, f)
	return err
}
