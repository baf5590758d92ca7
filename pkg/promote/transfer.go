package promote

import (
	"context"

	"github.com/google/go-containerregistry/pkg/name"
)

// Copy copies the image src names, with its evidence, to dst as Promote
// does once verification has passed, but verifies nothing: it is for
// callers that restore evidence to be verified where it lands, as
// importing an audit bundle does. The tag, when not nil, is written last.
// opts.Verify is not used, and the result's Verified is nil.
func Copy(ctx context.Context, src name.Digest, dst name.Repository, tag *name.Tag,
	opts Options) (*Result, error) {
	res := &Result{Source: src.String(), Destination: dst.Name(), Digest: src.DigestStr(),
		DryRun: opts.DryRun}
	if tag != nil {
		res.Destination = tag.String()
	}
	p := &promoter{opts: opts, log: logger(opts.Logger), res: res}
	if err := p.run(ctx, src, dst, tag); err != nil {
		return res, err
	}
	return res, nil
}
