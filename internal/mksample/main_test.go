package main

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// sampleDir is the checked-in layout, relative to this package.
const sampleDir = "../../testdata/image"

// TestLayoutIsCurrent regenerates the layout and requires it to match the
// checked-in one byte for byte: the generator is deterministic and nobody
// edited testdata/image by hand.
func TestLayoutIsCurrent(t *testing.T) {
	out := t.TempDir()
	digest, err := run(context.Background(), out, sampleVersion)
	if err != nil {
		t.Fatal(err)
	}
	want := readTree(t, sampleDir)
	got := readTree(t, out)
	delete(want, "README.md")
	if len(got) != len(want) {
		t.Errorf("regenerated layout has %d files, checked-in one %d", len(got), len(want))
	}
	for name, b := range want {
		if !bytes.Equal(got[name], b) {
			t.Errorf("%s differs from a fresh `go generate ./testdata` (index %s)", name, digest)
		}
	}
}

func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		files[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestLayoutSize(t *testing.T) {
	var total int64
	for name, b := range readTree(t, sampleDir) {
		if name != "README.md" {
			total += int64(len(b))
		}
	}
	if total >= 2<<20 {
		t.Errorf("sample layout is %d bytes, want under 2 MiB", total)
	}
}

func TestSampleIndex(t *testing.T) {
	p, err := layout.FromPath(sampleDir)
	if err != nil {
		t.Fatal(err)
	}
	top, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := top.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 || im.Manifests[0].Annotations[refNameKey] != "1.0.0" {
		t.Fatalf("index.json = %+v, want one manifest named 1.0.0", im.Manifests)
	}
	idx, err := top.ImageIndex(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	children, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	machines := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}
	if len(children.Manifests) != len(machines) {
		t.Fatalf("index has %d platforms, want %d", len(children.Manifests), len(machines))
	}
	for _, d := range children.Manifests {
		arch := d.Platform.Architecture
		t.Run(d.Platform.String(), func(t *testing.T) {
			img, err := idx.Image(d.Digest)
			if err != nil {
				t.Fatal(err)
			}
			checkConfig(t, img, arch)
			checkFiles(t, img, machines[arch])
		})
	}
}

func checkConfig(t *testing.T, img v1.Image, arch string) {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.OS != "linux" || cf.Architecture != arch {
		t.Errorf("config platform = %s/%s, want linux/%s", cf.OS, cf.Architecture, arch)
	}
	if cf.Config.User != "65532" {
		t.Errorf("User = %q, want 65532", cf.Config.User)
	}
	if len(cf.Config.Entrypoint) != 1 || cf.Config.Entrypoint[0] != entrypointPath {
		t.Errorf("Entrypoint = %q, want [%s]", cf.Config.Entrypoint, entrypointPath)
	}
	if !cf.Created.Time.Equal(created) {
		t.Errorf("Created = %v, want %v", cf.Created.Time, created)
	}
	for _, k := range []string{"source", "licenses", "version"} {
		if cf.Config.Labels["org.opencontainers.image."+k] == "" {
			t.Errorf("label org.opencontainers.image.%s missing", k)
		}
	}
}

// checkFiles reads every layer and checks the nonroot user, the os-release
// and that the entrypoint is an executable for the platform's machine.
func checkFiles(t *testing.T, img v1.Image, machine elf.Machine) {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) < 2 {
		t.Fatalf("image has %d layers, want at least 2", len(layers))
	}
	files := map[string][]byte{}
	for _, l := range layers {
		for name, b := range layerFiles(t, l) {
			files[name] = b
		}
	}
	if !strings.Contains(string(files["etc/passwd"]), "nonroot:x:65532:65532:") {
		t.Errorf("etc/passwd has no nonroot user 65532:\n%s", files["etc/passwd"])
	}
	if !strings.Contains(string(files["etc/os-release"]), "vouch sample") {
		t.Errorf("etc/os-release does not name the vouch sample:\n%s", files["etc/os-release"])
	}
	f, err := elf.NewFile(bytes.NewReader(files[entrypointPath[1:]]))
	if err != nil {
		t.Fatalf("entrypoint is not an ELF program: %v", err)
	}
	if f.Machine != machine || f.Type != elf.ET_EXEC {
		t.Errorf("entrypoint is %v %v, want %v executable", f.Machine, f.Type, machine)
	}
}

func layerFiles(t *testing.T, l v1.Layer) map[string][]byte {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	files := map[string][]byte{}
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[hdr.Name] = b
	}
}
