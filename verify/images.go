package verify

import (
	"context"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
)

// Images verifies each reference and returns one report, its images in
// the order of refs. Up to opts.Jobs references are verified at once. A
// reference that cannot be resolved gets StatusError; it never stops the
// others. References that resolve to the same repository and digest, such
// as two tags of one image, are verified once: each gets its own entry in
// the report, which shares the checks and evidence of the first.
//
// Every image is evaluated at the one moment the report names (opts.Now,
// or the time Images was called).
func Images(ctx context.Context, refs []string, opts Options) *Report {
	rep := &Report{
		SchemaVersion: SchemaVersion,
		Policy:        opts.Policy.Path,
		Time:          opts.now().UTC(),
		Passed:        len(refs) > 0,
		Images:        make([]*ImageResult, len(refs)),
	}
	opts.Now = rep.Time
	b := &batch{opts: opts, seen: map[string]*verification{}}
	sem := make(chan struct{}, opts.jobs())
	var wg sync.WaitGroup
	for i, ref := range refs {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			rep.Images[i] = b.image(ctx, ref)
		})
	}
	wg.Wait()
	for _, r := range rep.Images {
		if !r.Passed() {
			rep.Passed = false
		}
	}
	return rep
}

func (o *Options) jobs() int {
	return max(o.Jobs, 1)
}

// batch is one call of Images: it verifies each repository and digest
// once, whichever reference reaches it first.
type batch struct {
	opts Options

	mu   sync.Mutex
	seen map[string]*verification
}

// verification is the result for one repository and digest.
type verification struct {
	once sync.Once
	res  *ImageResult
}

func (b *batch) image(ctx context.Context, ref string) *ImageResult {
	d, _, err := b.opts.Resolver.Resolve(ctx, ref)
	if err != nil {
		return unresolved(ref, err)
	}
	v, first := b.verification(d)
	if !first {
		b.opts.logger().DebugContext(ctx, "digest verified once for several references",
			"ref", ref, "digest", d.String())
	}
	v.once.Do(func() { v.res = Digest(ctx, d, b.opts) })
	r := *v.res
	r.Reference = ref
	return &r
}

// verification returns the entry for d's repository and digest, and
// whether it was made by this call.
func (b *batch) verification(d name.Digest) (*verification, bool) {
	key := d.Context().Name() + "@" + d.DigestStr()
	b.mu.Lock()
	defer b.mu.Unlock()
	if v, ok := b.seen[key]; ok {
		return v, false
	}
	v := &verification{}
	b.seen[key] = v
	return v, true
}
