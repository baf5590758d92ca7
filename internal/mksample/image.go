package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

const (
	sampleVersion  = "1.0.0"
	sampleSource   = "https://github.com/vouchsec/vouch"
	sampleLicense  = "Apache-2.0"
	entrypointPath = "/usr/local/bin/hello"
	refNameKey     = "org.opencontainers.image.ref.name"
)

// created is the fixed build time of every file, layer and config.
var created = time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC)

// architectures are the linux platforms of the sample index, in index order.
var architectures = []string{"amd64", "arm64"}

// run builds the sample index and writes it as an OCI image layout to out,
// replacing any layout already there (other files, like README.md, stay).
func run(ctx context.Context, out, ref string) (v1.Hash, error) {
	bin, err := os.MkdirTemp("", "mksample-")
	if err != nil {
		return v1.Hash{}, fmt.Errorf("creating build directory: %w", err)
	}
	defer os.RemoveAll(bin)

	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, arch := range architectures {
		binary, err := buildHello(ctx, arch, bin)
		if err != nil {
			return v1.Hash{}, err
		}
		img, err := platformImage(arch, binary)
		if err != nil {
			return v1.Hash{}, fmt.Errorf("building linux/%s image: %w", arch, err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add: img,
			Descriptor: v1.Descriptor{
				Platform: &v1.Platform{OS: "linux", Architecture: arch},
			},
		})
	}
	if err := writeLayout(out, idx, ref); err != nil {
		return v1.Hash{}, err
	}
	return idx.Digest()
}

// platformImage assembles the image for linux/arch around its hello binary.
func platformImage(arch, binary string) (v1.Image, error) {
	etc, err := tarLayer(etcEntries(), created)
	if err != nil {
		return nil, fmt.Errorf("etc layer: %w", err)
	}
	prog, err := programEntries(binary)
	if err != nil {
		return nil, err
	}
	program, err := tarLayer(prog, created)
	if err != nil {
		return nil, fmt.Errorf("program layer: %w", err)
	}

	base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	base = mutate.ConfigMediaType(base, types.OCIConfigJSON)
	img, err := mutate.Append(base,
		addendum(etc, "COPY etc/ /etc/ # users, groups, os-release"),
		addendum(program, "COPY hello "+entrypointPath))
	if err != nil {
		return nil, fmt.Errorf("appending layers: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = arch, "linux"
	cf.Created = v1.Time{Time: created}
	cf.Config = v1.Config{
		User:       fmt.Sprint(nonroot),
		Entrypoint: []string{entrypointPath},
		Env:        []string{"PATH=/usr/local/bin:/usr/bin:/bin"},
		WorkingDir: "/home/nonroot",
		Labels: map[string]string{
			"org.opencontainers.image.source":   sampleSource,
			"org.opencontainers.image.licenses": sampleLicense,
			"org.opencontainers.image.version":  sampleVersion,
		},
	}
	return mutate.ConfigFile(img, cf)
}

func addendum(l v1.Layer, createdBy string) mutate.Addendum {
	return mutate.Addendum{
		Layer:     l,
		MediaType: types.OCILayer,
		History:   v1.History{Created: v1.Time{Time: created}, CreatedBy: createdBy},
	}
}

// writeLayout replaces the OCI layout in dir with one holding idx, tagged ref.
func writeLayout(dir string, idx v1.ImageIndex, ref string) error {
	for _, name := range []string{"blobs", "index.json", "oci-layout"} {
		if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("removing old layout: %w", err)
		}
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("writing layout %s: %w", dir, err)
	}
	err = p.AppendIndex(idx, layout.WithAnnotations(map[string]string{refNameKey: ref}))
	if err != nil {
		return fmt.Errorf("writing index to layout %s: %w", dir, err)
	}
	return normalizeModes(dir)
}

// normalizeModes makes every file of the layout 0644 and every directory
// 0755: ggcr writes blobs with the modes of its temporary files, and the
// checked-in layout should not depend on them.
func normalizeModes(dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		mode := fs.FileMode(0o644)
		if d.IsDir() {
			mode = 0o755
		}
		if err := os.Chmod(path, mode); err != nil {
			return fmt.Errorf("setting mode of %s: %w", path, err)
		}
		return nil
	})
}
