package verify_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/vouchsec/vouch/verify"
)

// tags is a Resolver over a fixed set of tags; other references fail.
type tags map[string]string

func (t tags) Resolve(_ context.Context, ref string) (name.Digest, *v1.Descriptor, error) {
	if d, err := name.NewDigest(ref); err == nil {
		return d, nil, nil
	}
	hex, ok := t[ref]
	if !ok {
		return name.Digest{}, nil, fmt.Errorf("%s: manifest unknown", ref)
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		return name.Digest{}, nil, err
	}
	return r.Context().Digest("sha256:" + hex), nil, nil
}

// counting is a Backend that finds one signature by release for every
// digest, counts its calls per repository and digest, and records how
// many ran at once. Discover waits for gate, when it is set, before it
// answers.
type counting struct {
	gate     chan struct{}
	delay    map[string]time.Duration
	inFlight atomic.Int32
	maxSeen  atomic.Int32

	mu    sync.Mutex
	calls map[string]int
}

func newCounting() *counting { return &counting{calls: map[string]int{}} }

func (c *counting) Name() string { return "counting" }

func (c *counting) Discover(ctx context.Context, d name.Digest) ([]verify.Evidence, error) {
	n := c.inFlight.Add(1)
	defer c.inFlight.Add(-1)
	for {
		m := c.maxSeen.Load()
		if n <= m || c.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	c.mu.Lock()
	c.calls[d.String()]++
	c.mu.Unlock()
	if c.gate != nil {
		select {
		case <-c.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	time.Sleep(c.delay[d.Context().RepositoryStr()])
	return []verify.Evidence{sig("release")}, nil
}

func (c *counting) callsFor(d string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[d]
}

func (c *counting) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.calls {
		n += v
	}
	return n
}

const batchPolicy = `  - name: p
    scope: ["*/staging/**"]
    signatures: {anyOf: [release]}
`

func hexOf(i int) string { return fmt.Sprintf("%064x", i) }

// TestImagesOrderAndErrors checks that the report lists every reference
// in input order, whatever order they finish in, and that one that cannot
// be resolved does not stop the others.
func TestImagesOrderAndErrors(t *testing.T) {
	res := tags{}
	var refs []string
	for i := range 6 {
		ref := fmt.Sprintf("127.0.0.1:5000/staging/app%d:1", i)
		res[ref] = hexOf(i + 1)
		refs = append(refs, ref)
	}
	refs = append(refs[:3], append([]string{"127.0.0.1:5000/staging/gone:1"}, refs[3:]...)...)
	b := newCounting()
	// The first images finish last.
	b.delay = map[string]time.Duration{
		"staging/app0": 60 * time.Millisecond,
		"staging/app1": 30 * time.Millisecond,
	}
	rep := verify.Images(context.Background(), refs, verify.Options{
		Policy: load(t, batchPolicy), Resolver: res, Backends: []verify.Backend{b}, Now: now, Jobs: 4,
	})
	if len(rep.Images) != len(refs) {
		t.Fatalf("%d images in the report, want %d", len(rep.Images), len(refs))
	}
	for i, img := range rep.Images {
		if img.Reference != refs[i] {
			t.Errorf("image %d is %s, want %s", i, img.Reference, refs[i])
		}
		want := verify.StatusPass
		if strings.Contains(refs[i], "gone") {
			want = verify.StatusError
		}
		if img.Status != want {
			t.Errorf("%s: status %s, want %s (%s)", img.Reference, img.Status, want, img.Error)
		}
	}
	if rep.Passed {
		t.Error("report passed with an image that could not be resolved")
	}
	if !rep.Time.Equal(now) {
		t.Errorf("report time %v, want %v", rep.Time, now)
	}
}

// TestImagesJobs checks that Images runs Jobs verifications at once and
// never more.
func TestImagesJobs(t *testing.T) {
	for _, jobs := range []int{0, 1, 3} {
		t.Run(fmt.Sprintf("jobs=%d", jobs), func(t *testing.T) {
			res := tags{}
			var refs []string
			for i := range 9 {
				ref := fmt.Sprintf("127.0.0.1:5000/staging/app%d:1", i)
				res[ref] = hexOf(i + 1)
				refs = append(refs, ref)
			}
			want := max(jobs, 1)
			b := newCounting()
			b.gate = make(chan struct{})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			go func() {
				// Open the gate once want verifications are waiting at it.
				for b.inFlight.Load() < int32(want) && ctx.Err() == nil {
					time.Sleep(time.Millisecond)
				}
				close(b.gate)
			}()
			rep := verify.Images(ctx, refs, verify.Options{
				Policy: load(t, batchPolicy), Resolver: res, Backends: []verify.Backend{b},
				Now: now, Jobs: jobs,
			})
			if ctx.Err() != nil {
				t.Fatalf("never %d verifications at once (at most %d)", want, b.maxSeen.Load())
			}
			if got := b.maxSeen.Load(); got != int32(want) {
				t.Errorf("%d verifications ran at once, want %d", got, want)
			}
			if !rep.Passed || b.total() != len(refs) {
				t.Errorf("passed %v after %d discoveries, want true after %d", rep.Passed, b.total(), len(refs))
			}
		})
	}
}

// TestImagesSameDigestOnce checks that references resolving to one
// repository and digest are verified once and reported once each, while
// the same digest in another repository is verified on its own.
func TestImagesSameDigestOnce(t *testing.T) {
	hex := strings.Repeat("cd", 32)
	repo := "127.0.0.1:5000/staging/app"
	res := tags{repo + ":1.0": hex, repo + ":latest": hex, repo + ":stable": hex,
		"127.0.0.1:5000/staging/mirror:1.0": hex}
	refs := []string{repo + ":1.0", repo + ":latest", repo + "@sha256:" + hex, repo + ":stable",
		"127.0.0.1:5000/staging/mirror:1.0"}
	b := newCounting()
	rep := verify.Images(context.Background(), refs, verify.Options{
		Policy: load(t, batchPolicy), Resolver: res, Backends: []verify.Backend{b}, Now: now, Jobs: 4,
	})
	if n := b.callsFor(repo + "@sha256:" + hex); n != 1 {
		t.Errorf("%s discovered %d times, want once", repo, n)
	}
	if n := b.callsFor("127.0.0.1:5000/staging/mirror@sha256:" + hex); n != 1 {
		t.Errorf("mirror discovered %d times, want once", n)
	}
	if b.total() != 2 {
		t.Errorf("%d discoveries, want 2", b.total())
	}
	for i, img := range rep.Images {
		if img.Reference != refs[i] || img.Digest != "sha256:"+hex || img.Status != verify.StatusPass {
			t.Errorf("image %d: %s %s %s, want %s sha256:%s pass",
				i, img.Reference, img.Digest, img.Status, refs[i], hex)
		}
	}
}

// TestImagesCancelled checks that a cancelled context ends the batch with
// every image accounted for.
func TestImagesCancelled(t *testing.T) {
	res := tags{}
	var refs []string
	for i := range 5 {
		ref := fmt.Sprintf("127.0.0.1:5000/staging/app%d:1", i)
		res[ref] = hexOf(i + 1)
		refs = append(refs, ref)
	}
	b := newCounting()
	b.gate = make(chan struct{}) // never opens
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	rep := verify.Images(ctx, refs, verify.Options{
		Policy: load(t, batchPolicy), Resolver: res, Backends: []verify.Backend{b}, Now: now, Jobs: 2,
	})
	for _, img := range rep.Images {
		if img.Status != verify.StatusError || !errors.Is(img.Err, context.Canceled) {
			t.Errorf("%s: status %s, err %v; want error, context canceled",
				img.Reference, img.Status, img.Err)
		}
	}
}

// kinded is a counting backend whose evidence only signers of one kind
// can verify.
type kinded struct {
	*counting
	kind string
}

func (k kinded) SignerKind() string { return k.kind }

// TestBackendWithoutSigners checks that a backend whose kind no signer of
// the policy has is not consulted, and that one whose kind is there is.
func TestBackendWithoutSigners(t *testing.T) {
	ref := "127.0.0.1:5000/staging/app@sha256:" + hexOf(1)
	unused, used := kinded{newCounting(), "notation"}, kinded{newCounting(), "cosign"}
	rep := verify.Images(context.Background(), []string{ref}, verify.Options{
		Policy: load(t, batchPolicy), Resolver: tags{},
		Backends: []verify.Backend{unused, used}, Now: now,
	})
	if !rep.Passed {
		t.Fatalf("want a pass: %+v", rep.Images[0])
	}
	if got := unused.total(); got != 0 {
		t.Errorf("the notation backend was asked %d times under a policy of cosign keys", got)
	}
	if got := used.total(); got != 1 {
		t.Errorf("the cosign backend was asked %d times, want 1", got)
	}
}
