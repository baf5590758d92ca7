// Package promote copies an image, with its signatures and attestations,
// from one repository to another only when the trust policy holds for it.
//
// Promotion verifies first and writes nothing when verification fails. It
// then copies by digest: the image (an index with every platform, or a
// single manifest), cosign's signature and attestation manifests, the OCI
// 1.1 referrers of the image and their own referrers (notation signatures,
// attestations and the signatures on them), and writes the destination tag
// last, so a reader of that tag never sees an image whose evidence has not
// arrived. Where the destination lacks the referrers API, the referrers
// tag-schema index is kept there, merged with what it already lists.
// Content the destination already has is not written again, so a second
// run changes nothing.
package promote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/vouchsec/vouch/pkg/registry"
	"github.com/vouchsec/vouch/verify"
)

// ErrRefused is returned when the source does not meet the policy.
var ErrRefused = errors.New("promotion refused: the policy is not met")

// Options configure a promotion. Registry and Verify (with its Policy and
// Backends) are required.
type Options struct {
	Registry *registry.Client
	Verify   verify.Options
	// DryRun verifies and plans, but writes nothing.
	DryRun bool
	Logger *slog.Logger
}

// Action says what a step did or, in a dry run, would do.
type Action string

// The actions.
const (
	Copied Action = "copied"
	// Moved is a tag that named another image before.
	Moved    Action = "moved"
	Merged   Action = "merged"
	Present  Action = "already present"
	WouldRun Action = "would copy"
)

// Step is one thing a promotion writes.
type Step struct {
	What   string `json:"what"`
	Target string `json:"target"`
	// ArtifactType is set for a referrer: what kind of evidence it is.
	ArtifactType string `json:"artifactType,omitempty"`
	Action       Action `json:"action"`
}

// Result is what a promotion verified and wrote.
type Result struct {
	Source      string              `json:"source"`
	Destination string              `json:"destination"`
	Digest      string              `json:"digest"`
	Verified    *verify.ImageResult `json:"verification"`
	Steps       []Step              `json:"steps"`
	DryRun      bool                `json:"dryRun"`
}

// Promote verifies src and copies it with its evidence to dst. dst is a
// repository, optionally with a tag; with no tag, src's tag (if it had one)
// is used. When verification does not pass it returns the result and an
// error wrapping ErrRefused, having written nothing.
func Promote(ctx context.Context, src, dst string, opts Options) (*Result, error) {
	srcD, _, err := opts.Registry.Resolve(ctx, src)
	if err != nil {
		return nil, fmt.Errorf("resolving %s: %w", src, err)
	}
	dstRepo, dstTag, err := destination(src, dst, opts.Registry.NameOptions())
	if err != nil {
		return nil, err
	}
	res := &Result{Source: src, Destination: dst, Digest: srcD.DigestStr(), DryRun: opts.DryRun}
	res.Verified = verify.Digest(ctx, srcD, opts.Verify, dstRepo)
	res.Verified.Reference = src
	switch res.Verified.Status {
	case verify.StatusError:
		return res, fmt.Errorf("verifying %s: %w", src, res.Verified.Err)
	case verify.StatusFail:
		return res, ErrRefused
	}
	p := &promoter{opts: opts, log: logger(opts.Logger), res: res}
	if err := p.run(ctx, srcD, dstRepo, dstTag); err != nil {
		return res, err
	}
	return res, nil
}

func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return l
}

// destination parses dst; a bare repository inherits src's tag.
func destination(src, dst string, nopts []name.Option) (name.Repository, *name.Tag, error) {
	if ref, err := name.ParseReference(dst, append(nopts, name.StrictValidation)...); err == nil {
		switch r := ref.(type) {
		case name.Tag:
			return r.Context(), &r, nil
		case name.Digest:
			return name.Repository{}, nil, fmt.Errorf("destination %s: give a repository or a tag, not a digest", dst)
		}
	}
	repo, err := name.NewRepository(dst, nopts...)
	if err != nil {
		return name.Repository{}, nil, fmt.Errorf("parsing destination %s: %w", dst, err)
	}
	if t, err := name.NewTag(src, append(nopts, name.StrictValidation)...); err == nil {
		tag := repo.Tag(t.TagStr())
		return repo, &tag, nil
	}
	return repo, nil, nil
}

// digestOf returns a descriptor's digest as a reference in repo.
func digestOf(repo name.Repository, h v1.Hash) name.Digest {
	return repo.Digest(h.String())
}
