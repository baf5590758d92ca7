package verify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/vouchsec/vouch/attest"
	"github.com/vouchsec/vouch/pkg/policy"
)

// Resolver turns an image reference into a digest reference.
type Resolver interface {
	Resolve(ctx context.Context, ref string) (name.Digest, *v1.Descriptor, error)
}

// Options configure a verification. Policy, Resolver and at least one
// Backend are required, and ImageReader when a policy has image or Rego
// rules.
type Options struct {
	Policy   *policy.Policy
	Resolver Resolver
	Backends []Backend
	// ImageReader reads the image's manifest and config blob, by digest,
	// for image and Rego rules. It is used only when a policy that
	// applies has such rules, and then once per image digest; without one
	// such an image is an error.
	ImageReader ImageReader
	// RegoTimeout bounds each evaluation of a Rego rule; zero means
	// [DefaultRegoTimeout].
	RegoTimeout time.Duration
	// Now is the moment rules are evaluated at (maxAge, waivers); zero
	// means the current time.
	Now time.Time
	// Logger receives debug logs; nil discards them.
	Logger *slog.Logger
	// NamedScopes also applies the policies whose scopes match a
	// repository the evidence names: a cosign signature's
	// docker-reference, a statement's subject names. The names are read
	// before anything is verified, which is safe because they can only
	// add policies, never take one away. It is for an image whose
	// repository nothing vouches for, such as an offline bundle's, whose
	// repository is a label in its index.
	NamedScopes bool
	// Jobs is how many images [Images] verifies at once; zero or less
	// means one at a time. With more than one, the Resolver, Backends and
	// ImageReader are called concurrently: the registry client and the
	// backends of this package are safe for that.
	Jobs int
}

// ErrNoPolicy marks an image that no policy in the file applies to.
var ErrNoPolicy = errors.New("no policy applies")

func (o *Options) now() time.Time {
	if o.Now.IsZero() {
		return time.Now()
	}
	return o.Now
}

func (o *Options) logger() *slog.Logger {
	if o.Logger == nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return o.Logger
}

// Image resolves ref to a digest once, then verifies that digest.
func Image(ctx context.Context, ref string, opts Options) *ImageResult {
	d, _, err := opts.Resolver.Resolve(ctx, ref)
	if err != nil {
		return unresolved(ref, err)
	}
	r := Digest(ctx, d, opts)
	r.Reference = ref
	return r
}

func unresolved(ref string, err error) *ImageResult {
	msg := err.Error()
	if !strings.Contains(msg, ref) {
		msg = fmt.Sprintf("resolving %s: %s", ref, msg)
	}
	return &ImageResult{
		Reference: ref, Status: StatusError, Err: err, Error: msg,
		Policies: []PolicyResult{}, Evidence: []EvidenceResult{},
	}
}

// Digest verifies an image already addressed by digest. The policies that
// apply are those matching its repository and those matching any of the
// extra repositories (a promotion's destination, say).
func Digest(ctx context.Context, d name.Digest, opts Options, extra ...name.Repository) *ImageResult {
	res := &ImageResult{
		Reference:  d.String(),
		Digest:     d.DigestStr(),
		Repository: d.Context().Name(),
		Policies:   []PolicyResult{},
		Evidence:   []EvidenceResult{},
	}
	h, err := v1.NewHash(d.DigestStr())
	if err != nil {
		return res.fail(fmt.Errorf("parsing digest %s: %w", d.DigestStr(), err))
	}
	var checked []*checkedEvidence
	if opts.NamedScopes {
		if checked, err = collect(ctx, d, h, opts); err != nil {
			return res.fail(err)
		}
		named := namedRepositories(checked, d.Context())
		for _, r := range named {
			res.NamedRepositories = append(res.NamedRepositories, r.Name())
		}
		extra = append(slices.Clip(extra), named...)
	}
	applied := applicable(opts.Policy, d.Context(), extra)
	if len(applied) == 0 {
		res.Status = StatusFail
		res.Policies = append(res.Policies, PolicyResult{Name: NoPolicy, Checks: []Check{{
			Requirement: "scope",
			Reason:      fmt.Sprintf("%s: no policy in %s matches %s", ErrNoPolicy, opts.Policy.Path, scopeNames(d.Context(), extra)),
		}}})
		return res
	}
	if checked == nil {
		if checked, err = collect(ctx, d, h, opts); err != nil {
			return res.fail(err)
		}
	}
	res.Evidence = evidenceResults(checked)
	ev := evaluator{digest: h, repo: d.Context().Name(), now: opts.now(), evidence: checked,
		regoTimeout: opts.regoTimeout()}
	if needsImage(applied) {
		if err := ev.loadImage(ctx, d, opts.ImageReader); err != nil {
			return res.fail(err)
		}
	}
	res.Status = StatusPass
	for _, ip := range applied {
		pr := ev.policy(ctx, ip)
		if !pr.Passed {
			res.Status = StatusFail
		}
		res.Policies = append(res.Policies, pr)
	}
	return res
}

func (r *ImageResult) fail(err error) *ImageResult {
	r.Status, r.Err, r.Error = StatusError, err, err.Error()
	return r
}

// applicable returns the policies matching repo or any extra repository,
// each once, in file order.
func applicable(p *policy.Policy, repo name.Repository, extra []name.Repository) []*policy.ImagePolicy {
	seen := map[*policy.ImagePolicy]bool{}
	for _, r := range append([]name.Repository{repo}, extra...) {
		for _, ip := range p.Match(r.Name()) {
			seen[ip] = true
		}
	}
	var out []*policy.ImagePolicy
	for _, ip := range p.Policies {
		if seen[ip] {
			out = append(out, ip)
		}
	}
	return out
}

func scopeNames(repo name.Repository, extra []name.Repository) string {
	s := repo.Name()
	for _, r := range extra {
		s += " or " + r.Name()
	}
	return s
}

// checkedEvidence is one piece of evidence with its verdict for every
// signer of the policy.
type checkedEvidence struct {
	backend  string
	ev       Evidence
	verified map[string]*Verified
	failures map[string]error
	// statement is the parsed statement of a verified attestation, and
	// raw the statement as signed.
	statement *attest.ParsedStatement
	raw       []byte
}

// collect discovers evidence with every backend and checks each piece
// against every signer in the policy file.
func collect(ctx context.Context, d name.Digest, h v1.Hash, opts Options) ([]*checkedEvidence, error) {
	names := make([]string, 0, len(opts.Policy.Signers))
	for n := range opts.Policy.Signers {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []*checkedEvidence
	for _, b := range opts.Backends {
		if k, ok := b.(SignerKinded); ok && !usesKind(opts.Policy, k.SignerKind()) {
			// No signer could accept this backend's evidence: it is
			// not looked for (notation referrers, for a policy of
			// cosign keys only), which saves its requests.
			continue
		}
		evs, err := b.Discover(ctx, d)
		if err != nil {
			return nil, fmt.Errorf("discovering %s evidence for %s: %w", b.Name(), d, err)
		}
		for _, e := range evs {
			ce := &checkedEvidence{backend: b.Name(), ev: e,
				verified: map[string]*Verified{}, failures: map[string]error{}}
			for _, n := range names {
				ce.check(ctx, h, opts.Policy.Signers[n], opts.logger())
			}
			out = append(out, ce)
		}
	}
	return out, nil
}

// usesKind reports whether any signer of p is of the kind a backend named
// kind verifies.
func usesKind(p *policy.Policy, kind string) bool {
	for _, s := range p.Signers {
		if s.Kind() == kind {
			return true
		}
	}
	return false
}

func (ce *checkedEvidence) check(ctx context.Context, h v1.Hash, s *policy.Signer, log *slog.Logger) {
	v, err := ce.ev.Verify(ctx, h, s)
	switch {
	case errors.Is(err, ErrSignerKind):
		return
	case err != nil:
		log.Debug("evidence does not verify", "source", ce.ev.Source(), "signer", s.Name, "err", err)
		ce.failures[s.Name] = err
		return
	}
	if ce.ev.Kind() == KindAttestation {
		st, err := attest.ParseStatement(v.Statement)
		if err != nil {
			ce.failures[s.Name] = fmt.Errorf("statement: %w", err)
			return
		}
		if !st.SubjectMatches(h) {
			ce.failures[s.Name] = fmt.Errorf("subject-digest: statement subject does not name %s", h)
			return
		}
		ce.statement, ce.raw = st, v.Statement
	}
	ce.verified[s.Name] = v
}

func evidenceResults(checked []*checkedEvidence) []EvidenceResult {
	out := make([]EvidenceResult, 0, len(checked))
	for _, ce := range checked {
		er := EvidenceResult{
			Kind: ce.ev.Kind(), Backend: ce.backend, Source: ce.ev.Source(),
			PredicateType: ce.ev.PredicateType(), VerifiedBy: sortedKeys(ce.verified),
		}
		if ce.statement != nil {
			er.PredicateType = ce.statement.PredicateType
		}
		for _, n := range er.VerifiedBy {
			for _, note := range ce.verified[n].Notes {
				er.Notes = append(er.Notes, n+": "+note)
			}
		}
		if len(ce.verified) == 0 && len(ce.failures) > 0 {
			er.Failures = map[string]string{}
			for n, err := range ce.failures {
				er.Failures[n] = err.Error()
			}
		}
		out = append(out, er)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
