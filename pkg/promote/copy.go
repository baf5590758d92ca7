package promote

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/mutate"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"

	vcosign "github.com/vouchsec/vouch/pkg/cosign"
)

type promoter struct {
	opts Options
	log  *slog.Logger
	res  *Result
	// refLimits, when set, replace the bounds on referrers (for tests).
	refLimits referrerLimits
}

// run copies the image, then its evidence (cosign's tags, then the OCI
// 1.1 referrers), then writes the tag.
func (p *promoter) run(ctx context.Context, srcD name.Digest, dst name.Repository, tag *name.Tag) error {
	h, err := v1.NewHash(srcD.DigestStr())
	if err != nil {
		return fmt.Errorf("parsing digest: %w", err)
	}
	if err := p.copyManifest(ctx, "image", srcD, dst); err != nil {
		return err
	}
	if err := p.evidenceOf(ctx, "", srcD, dst); err != nil {
		return err
	}
	// An index's platform images may be signed and attested on their own
	// (cosign sign --recursive does that); their evidence comes too.
	children, err := p.children(ctx, srcD)
	if err != nil {
		return err
	}
	for _, c := range children {
		what := "platform " + c.DigestStr()[:len("sha256:")+12] + " "
		if err := p.evidenceOf(ctx, what, c, dst); err != nil {
			return err
		}
	}
	if tag == nil {
		return nil
	}
	return p.tag(ctx, "tag", *tag, h)
}

// evidenceOf copies the evidence of srcD to dst: cosign's .sig and .att
// tags, then the OCI 1.1 referrers. what prefixes the steps' names.
func (p *promoter) evidenceOf(ctx context.Context, what string, srcD name.Digest, dst name.Repository) error {
	h, err := v1.NewHash(srcD.DigestStr())
	if err != nil {
		return fmt.Errorf("parsing digest: %w", err)
	}
	ropts := p.opts.Registry.RemoteOptions(ctx)
	ev, err := vcosign.Fetch(ctx, srcD, ropts)
	if err != nil {
		return fmt.Errorf("reading evidence of %s: %w", srcD, err)
	}
	if ev.SigManifest != nil {
		err := p.evidence(ctx, what+"signatures", srcD, dst, h, ev.SigManifest.Digest, ".sig", ev.Signatures)
		if err != nil {
			return err
		}
	}
	if ev.AttManifest != nil {
		err := p.evidence(ctx, what+"attestations", srcD, dst, h, ev.AttManifest.Digest, ".att", ev.Attestations)
		if err != nil {
			return err
		}
	}
	return p.referrers(ctx, srcD, dst)
}

// children returns the manifests an index lists, or none for a single
// manifest.
func (p *promoter) children(ctx context.Context, d name.Digest) ([]name.Digest, error) {
	raw, mt, err := p.opts.Registry.Manifest(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", d, err)
	}
	if !mt.IsIndex() {
		return nil, nil
	}
	idx, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("reading index %s: %w", d, err)
	}
	out := make([]name.Digest, 0, len(idx.Manifests))
	for _, m := range idx.Manifests {
		out = append(out, d.Context().Digest(m.Digest.String()))
	}
	return out, nil
}

func (p *promoter) copyManifest(ctx context.Context, what string, src name.Digest, dst name.Repository) error {
	a, err := p.copyDigest(ctx, what, src, dst)
	if err != nil {
		return err
	}
	p.step(what, digestOf(dst, mustHash(src.DigestStr())).String(), a)
	return nil
}

// copyDigest copies the manifest src names to dst by digest, or in a dry
// run checks whether dst has it, and returns what it did.
func (p *promoter) copyDigest(ctx context.Context, what string, src name.Digest,
	dst name.Repository) (Action, error) {
	if p.opts.DryRun {
		target := digestOf(dst, mustHash(src.DigestStr()))
		ok, err := p.opts.Registry.Exists(ctx, target)
		if err != nil {
			return "", fmt.Errorf("checking %s: %w", target, err)
		}
		return map[bool]Action{true: Present, false: WouldRun}[ok], nil
	}
	cr, err := p.opts.Registry.Copy(ctx, src, dst)
	if err != nil {
		return "", fmt.Errorf("copying %s %s to %s: %w", what, src, dst, err)
	}
	return map[bool]Action{true: Copied, false: Present}[cr.Written], nil
}

func mustHash(s string) v1.Hash {
	h, _ := v1.NewHash(s)
	return h
}

// evidence brings a .sig or .att manifest over. When the destination's tag
// already holds other evidence, the source's is merged into it so nothing
// already there is lost.
func (p *promoter) evidence(ctx context.Context, what string, srcD name.Digest, dst name.Repository,
	h v1.Hash, manifest v1.Hash, suffix string, items []oci.Signature) error {
	tag := dst.Tag(h.Algorithm + "-" + h.Hex + suffix)
	cur, err := p.current(ctx, tag)
	if err != nil {
		return err
	}
	switch {
	case cur != nil && *cur == manifest:
		p.step(what, tag.String(), Present)
		return nil
	case cur == nil:
		if err := p.copyManifest(ctx, what, srcD.Context().Digest(manifest.String()), dst); err != nil {
			return err
		}
		return p.tag(ctx, what+" tag", tag, manifest)
	}
	missing, err := p.missing(ctx, dst.Digest(h.String()), suffix, items)
	if err != nil {
		return fmt.Errorf("reading %s: %w", tag, err)
	}
	switch {
	case len(missing) == 0:
		p.step(what, tag.String(), Present)
		return nil
	case p.opts.DryRun:
		p.step(what, tag.String(), WouldRun)
		return nil
	}
	if err := p.merge(ctx, dst.Digest(h.String()), suffix, missing); err != nil {
		return fmt.Errorf("merging %s into %s: %w", what, tag, err)
	}
	p.step(what, tag.String(), Merged)
	return nil
}

// current returns the digest tag points at, or nil when it does not exist.
func (p *promoter) current(ctx context.Context, tag name.Tag) (*v1.Hash, error) {
	_, desc, err := p.opts.Registry.Resolve(ctx, tag.String())
	if err != nil {
		if isNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("reading %s: %w", tag, err)
	}
	return &desc.Digest, nil
}

func (p *promoter) tag(ctx context.Context, what string, tag name.Tag, h v1.Hash) error {
	// A tag that names another image is moved, and the step says from
	// what, so that a replaced image does not go unnoticed.
	cur, err := p.current(ctx, tag)
	if err != nil {
		return err
	}
	target := tag.String()
	if cur != nil && *cur != h {
		target = fmt.Sprintf("%s (was %s)", tag, cur)
	}
	if p.opts.DryRun {
		p.step(what, target, WouldRun)
		return nil
	}
	written, err := p.opts.Registry.Tag(ctx, tag, h)
	if err != nil {
		return fmt.Errorf("tagging %s: %w", tag, err)
	}
	action := map[bool]Action{true: Copied, false: Present}[written]
	if written && cur != nil && *cur != h {
		action = Moved
	}
	p.step(what, target, action)
	return nil
}

// missing returns the items the destination's list lacks.
func (p *promoter) missing(ctx context.Context, d name.Digest, suffix string,
	items []oci.Signature) ([]oci.Signature, error) {
	ev, err := vcosign.Fetch(ctx, d, p.opts.Registry.RemoteOptions(ctx))
	if err != nil {
		return nil, err
	}
	have := ev.Signatures
	if suffix == ".att" {
		have = ev.Attestations
	}
	var out []oci.Signature
	for _, it := range items {
		found, err := contains(have, it)
		if err != nil {
			return nil, err
		}
		if !found {
			out = append(out, it)
		}
	}
	return out, nil
}

// merge attaches each source item to the destination's existing list,
// skipping exact duplicates, and writes the union.
func (p *promoter) merge(ctx context.Context, d name.Digest, suffix string, items []oci.Signature) error {
	ropts := []ociremote.Option{ociremote.WithRemoteOptions(p.opts.Registry.RemoteOptions(ctx)...)}
	se, err := ociremote.SignedEntity(d, ropts...)
	if err != nil {
		return err
	}
	for _, it := range items {
		if suffix == ".sig" {
			se, err = mutate.AttachSignatureToEntity(se, it, mutate.WithDupeDetector(sameBytes{}))
		} else {
			se, err = mutate.AttachAttestationToEntity(se, it, mutate.WithDupeDetector(sameBytes{}))
		}
		if err != nil {
			return err
		}
	}
	if suffix == ".sig" {
		return ociremote.WriteSignatures(d.Repository, se, ropts...)
	}
	return ociremote.WriteAttestations(d.Repository, se, ropts...)
}

func (p *promoter) step(what, target string, a Action) {
	p.record(Step{What: what, Target: target, Action: a})
}

func (p *promoter) record(s Step) {
	args := []any{"what", s.What, "target", s.Target, "action", s.Action}
	if s.ArtifactType != "" {
		args = append(args, "artifactType", s.ArtifactType)
	}
	p.log.Info("promote", args...)
	p.res.Steps = append(p.res.Steps, s)
}
