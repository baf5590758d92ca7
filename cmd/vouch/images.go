package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/spf13/cobra"

	"github.com/vouchsec/vouch/pkg/registry"
)

// scopeFlag is the --scope flag of the commands that read images.
const scopeUsage = "repository name that images read from an OCI layout (oci:DIR@sha256:… or " +
	"oci:DIR:TAG) are known by, which policy scopes match against, such as registry.acme.io/prod/app"

// openImages prepares the images a command names. Registry references are
// returned as they are. An image in an OCI image layout (oci:DIR@sha256:…
// or oci:DIR:TAG) is opened, its tag resolved once, and served read-only
// to every later registry call under scope, the name --scope gives it; it
// is returned as the digest reference scope@sha256:…. All oci: images of
// one command must come from one layout, and no registry reference may
// name the scope's registry host, which the layout then stands in for.
func (g *globals) openImages(cmd *cobra.Command, images []string, scope string) ([]string, error) {
	out := make([]string, len(images))
	var layout *registry.Layout
	var layoutDir string
	for i, img := range images {
		ref, ok, err := registry.ParseLayoutRef(img)
		if err != nil {
			return nil, usageErr(err)
		}
		if !ok {
			out[i] = img
			continue
		}
		if layout == nil {
			if layout, err = g.openLayout(ref.Dir, scope); err != nil {
				return nil, err
			}
			layoutDir = ref.Dir
		} else if !sameDir(layoutDir, ref.Dir) {
			return nil, usageErr(fmt.Errorf("%s and %s: one command reads one OCI layout", layoutDir, ref.Dir))
		}
		d, err := layout.Digest(ref)
		if err != nil {
			return nil, usageErr(err)
		}
		out[i] = d.String()
	}
	if layout == nil {
		if cmd.Flags().Changed("scope") {
			return nil, usageErr(errors.New("--scope goes with images in an OCI layout (oci:DIR@sha256:… or oci:DIR:TAG)"))
		}
		return out, nil
	}
	host := layout.Scope().RegistryStr()
	for i, img := range images {
		if out[i] != img {
			continue
		}
		if r, err := name.ParseReference(img); err == nil && r.Context().RegistryStr() == host {
			return nil, usageErr(fmt.Errorf("%s: registry %s stands for the OCI layout in this command (--scope %s)",
				img, host, scope))
		}
	}
	g.layouts = append(g.layouts, layout)
	return out, nil
}

func (g *globals) openLayout(dir, scope string) (*registry.Layout, error) {
	if scope == "" {
		return nil, usageErr(fmt.Errorf("oci:%s: an OCI layout has no repository name: "+
			"give one with --scope, such as --scope registry.acme.io/prod/app", dir))
	}
	repo, err := name.NewRepository(scope)
	if err != nil {
		return nil, usageErr(fmt.Errorf("--scope %q: %w", scope, err))
	}
	l, err := registry.OpenLayout(dir, repo, registry.WithLayoutLogger(g.logger))
	if err != nil {
		return nil, usageErr(err)
	}
	return l, nil
}

func sameDir(a, b string) bool {
	fa, err := os.Stat(a)
	if err != nil {
		return false
	}
	fb, err := os.Stat(b)
	return err == nil && os.SameFile(fa, fb)
}
