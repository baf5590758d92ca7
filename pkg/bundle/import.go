package bundle

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/vouchsec/vouch/pkg/promote"
	"github.com/vouchsec/vouch/pkg/registry"
)

// ImportOptions configure Import. The zero value is ready to use.
type ImportOptions struct {
	// Logger receives a record per step; nil discards them.
	Logger *slog.Logger
}

// Import copies the bundle's image and all its evidence into dst, a
// repository or repository:tag, through client, by digest: the image,
// cosign's .sig and .att tags, and the OCI 1.1 referrers with theirs,
// listed in dst's referrers tag schema where the registry lacks the
// referrers API, merged with what dst holds already. The tag (dst's, or
// for a bare repository the one the bundle was exported as, if any) is
// written last. Nothing is verified: verify the image where it lands.
//
// client must serve the bundle's [Bundle.Source] (registry.WithLayout),
// which stands apart from every real registry, so that even the
// repository the bundle came from can be imported into.
//
// A bundle made without layers can be imported only where dst's registry
// has the image's layers already.
func Import(ctx context.Context, client *registry.Client, b *Bundle, dst string,
	opts ImportOptions) (*promote.Result, error) {
	if b.plain {
		return nil, fmt.Errorf("importing %s: %w: the layout names no image to import",
			b.dir, ErrNotBundle)
	}
	repo, tag, err := b.destination(dst, client.NameOptions())
	if err != nil {
		return nil, err
	}
	src, err := b.Source()
	if err != nil {
		return nil, err
	}
	srcD := src.Scope().Digest(b.image.DigestStr())
	if ok, err := client.Exists(ctx, srcD); err != nil || !ok {
		return nil, fmt.Errorf("importing: the registry client does not serve the bundle "+
			"(registry.WithLayout(b.Source())): %v", err)
	}
	res, err := promote.Copy(ctx, srcD, repo, tag,
		promote.Options{Registry: client, Logger: opts.Logger})
	if res != nil {
		res.Source = b.image.String()
	}
	if err != nil && !b.layers && len(res.Steps) == 0 {
		return res, fmt.Errorf("importing %s: %w (the bundle holds no layers: import it where %s "+
			"has the image's layers already, or export it --with-layers)", b.image, err, repo.RegistryStr())
	}
	if err != nil {
		return res, fmt.Errorf("importing %s: %w", b.image, err)
	}
	return res, nil
}

// destination parses dst, a repository or repository:tag; a bare
// repository takes the tag the bundle was exported as, if any.
func (b *Bundle) destination(dst string, nopts []name.Option) (name.Repository, *name.Tag, error) {
	ref, err := name.ParseReference(dst, append(nopts, name.StrictValidation)...)
	if err == nil {
		switch r := ref.(type) {
		case name.Tag:
			return r.Context(), &r, nil
		case name.Digest:
			return name.Repository{}, nil, fmt.Errorf("importing to %s: give a repository or a tag, "+
				"not a digest", dst)
		}
	}
	repo, err := name.NewRepository(dst, nopts...)
	if err != nil {
		return name.Repository{}, nil, fmt.Errorf("importing to %w %q: %w",
			registry.ErrInvalidReference, dst, err)
	}
	if t, err := name.NewTag(b.reference, append(nopts, name.StrictValidation)...); err == nil {
		tag := repo.Tag(t.TagStr())
		return repo, &tag, nil
	}
	return repo, nil, nil
}
