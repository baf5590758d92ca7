package promote

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/vouchsec/vouch/pkg/registry"
)

// Bounds on the OCI 1.1 referrers a promotion follows. An image's
// referrers are at depth 1 (a notation signature, an attestation), theirs
// at depth 2 (the attestation's signature), and so on.
const (
	maxReferrerDepth = 3
	maxReferrers     = 1000
)

// referrer is one referrer of the source image, with its own referrers.
type referrer struct {
	registry.Referrer
	children []*referrer
}

// referrerLimits bound the referrers tree a promotion reads.
type referrerLimits struct {
	depth, count int
}

// referrers brings the OCI 1.1 referrers of the image srcD, and theirs in
// turn, to dst by digest. The whole tree is read from the source first, so
// a referrer that cannot be read, or a tree past the bounds, stops the
// promotion before any referrer is written. Where dst lacks the referrers
// API, each subject's referrers tag-schema index there is updated to list
// them.
func (p *promoter) referrers(ctx context.Context, srcD name.Digest, dst name.Repository) error {
	tree, err := p.referrerTree(ctx, srcD, 1, map[v1.Hash]bool{})
	if err != nil || len(tree) == 0 {
		return err
	}
	api, err := p.referrersAPI(ctx, srcD, dst)
	if err != nil {
		return err
	}
	c := referrerCopy{p: p, src: srcD.Context(), dst: dst, index: !api}
	return c.all(ctx, mustHash(srcD.DigestStr()), tree)
}

// referrersAPI reports whether dst serves the referrers API. The image is
// in dst by now, except in a dry run: a registry does not say whether it
// serves the API for a repository it does not have, so the source's
// repository is asked then if it is on the same registry, and otherwise
// the tag schema is assumed, which can only overstate what would be
// written.
func (p *promoter) referrersAPI(ctx context.Context, srcD name.Digest,
	dst name.Repository) (bool, error) {
	reg := p.opts.Registry
	api, err := reg.ReferrersAPI(ctx, dst.Digest(srcD.DigestStr()))
	if errors.Is(err, registry.ErrNotFound) && p.opts.DryRun {
		if srcD.RegistryStr() != dst.RegistryStr() {
			return false, nil
		}
		api, err = reg.ReferrersAPI(ctx, srcD)
	}
	if err != nil {
		return false, fmt.Errorf("checking referrers support of %s: %w", dst, err)
	}
	return api, nil
}

// referrerTree lists the referrers of subject at the source, and theirs,
// to the limits. seen holds every referrer found so far.
func (p *promoter) referrerTree(ctx context.Context, subject name.Digest, depth int,
	seen map[v1.Hash]bool) ([]*referrer, error) {
	descs, err := p.opts.Registry.Referrers(ctx, subject, "")
	if err != nil {
		return nil, fmt.Errorf("reading referrers of %s: %w", subject, err)
	}
	lim := p.limits()
	if len(descs) > 0 && depth > lim.depth {
		return nil, fmt.Errorf("referrers of %s: nested deeper than %d levels", subject, lim.depth)
	}
	var out []*referrer
	for _, d := range descs {
		if seen[d.Digest] {
			continue
		}
		seen[d.Digest] = true
		if len(seen) > lim.count {
			return nil, fmt.Errorf("referrers of %s: more than %d in all", subject, lim.count)
		}
		r, err := p.readReferrer(ctx, subject, d.Digest)
		if err != nil {
			return nil, err
		}
		child := subject.Context().Digest(d.Digest.String())
		r.children, err = p.referrerTree(ctx, child, depth+1, seen)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// readReferrer reads the manifest h at the source and checks that it
// refers to subject, as the listing said.
func (p *promoter) readReferrer(ctx context.Context, subject name.Digest,
	h v1.Hash) (*referrer, error) {
	ref, err := p.opts.Registry.Referrer(ctx, subject.Context().Digest(h.String()))
	if err != nil {
		return nil, fmt.Errorf("reading referrers of %s: %w", subject, err)
	}
	if ref.Subject.String() != subject.DigestStr() {
		return nil, fmt.Errorf("reading referrers of %s: %s is listed but refers to %s",
			subject, h, ref.Subject)
	}
	return &referrer{Referrer: ref}, nil
}

func (p *promoter) limits() referrerLimits {
	if p.refLimits != (referrerLimits{}) {
		return p.refLimits
	}
	return referrerLimits{depth: maxReferrerDepth, count: maxReferrers}
}

// referrerCopy writes a tree of referrers to dst.
type referrerCopy struct {
	p        *promoter
	src, dst name.Repository
	// index is whether dst needs the referrers tag schema.
	index bool
}

// all copies the referrers of subject, each before its own referrers,
// then lists them in subject's index at dst if dst needs one.
func (c *referrerCopy) all(ctx context.Context, subject v1.Hash, refs []*referrer) error {
	target := digestOf(c.dst, subject)
	var im v1.IndexManifest
	var existed bool
	if c.index {
		var err error
		if im, existed, err = c.p.opts.Registry.ReferrersIndex(ctx, target); err != nil {
			return err
		}
	}
	descs := make([]v1.Descriptor, 0, len(refs))
	for _, r := range refs {
		if err := c.one(ctx, r); err != nil {
			return err
		}
		descs = append(descs, r.Descriptor)
	}
	if !c.index {
		return nil
	}
	return c.indexReferrers(ctx, target, im, existed, descs)
}

func (c *referrerCopy) one(ctx context.Context, r *referrer) error {
	d := r.Descriptor.Digest
	a, err := c.p.copyDigest(ctx, "referrer", c.src.Digest(d.String()), c.dst)
	if err != nil {
		return err
	}
	c.p.record(Step{
		What: "referrer", Target: digestOf(c.dst, d).String(),
		ArtifactType: r.Descriptor.ArtifactType, Action: a,
	})
	if len(r.children) == 0 {
		return nil
	}
	return c.all(ctx, d, r.children)
}

// indexReferrers merges descs into the referrers index of subject at dst.
// im is that index as it was before the referrers were copied, and existed
// whether the tag did. Unless in a dry run, the index is read again: ggcr
// adds an entry of its own when it writes a referrer to a registry without
// the referrers API, with the config media type as the artifact type and
// no annotations, and the merge corrects it.
func (c *referrerCopy) indexReferrers(ctx context.Context, subject name.Digest,
	im v1.IndexManifest, existed bool, descs []v1.Descriptor) error {
	reg := c.p.opts.Registry
	tag := reg.ReferrersTag(subject).String()
	if !c.p.opts.DryRun {
		var err error
		if im, _, err = reg.ReferrersIndex(ctx, subject); err != nil {
			return err
		}
	}
	merged, changed := registry.MergeReferrers(im, descs)
	switch {
	case !changed:
		c.p.step("referrers index", tag, Present)
		return nil
	case c.p.opts.DryRun:
		c.p.step("referrers index", tag, WouldRun)
		return nil
	}
	if err := reg.PutReferrersIndex(ctx, subject, merged); err != nil {
		return err
	}
	c.p.step("referrers index", tag, map[bool]Action{true: Merged, false: Copied}[existed])
	return nil
}
