package verify

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/vouchsec/vouch/pkg/policy"
)

// clockSkew is how far in the future an attestation's creation time may
// lie before it is refused.
const clockSkew = 5 * time.Minute

// evaluator applies one image's checked evidence and configuration to
// policies.
type evaluator struct {
	digest   v1.Hash
	repo     string
	now      time.Time
	evidence []*checkedEvidence
	// images are the image's configurations (one per platform of an
	// index), read when a policy needs them; imageErr says why they
	// could not be.
	images      []*imageConfig
	imageErr    error
	regoTimeout time.Duration
}

func (e *evaluator) policy(ctx context.Context, ip *policy.ImagePolicy) PolicyResult {
	pr := PolicyResult{Name: ip.Name, Passed: true}
	if sr := ip.Signatures; sr != nil {
		if len(sr.AnyOf) > 0 {
			pr.Checks = append(pr.Checks, e.anyOf(sr))
		}
		if len(sr.AllOf) > 0 {
			pr.Checks = append(pr.Checks, e.allOf(sr))
		}
		if sr.Threshold != nil {
			pr.Checks = append(pr.Checks, e.threshold(sr.Threshold))
		}
	}
	for i, ar := range ip.Attestations {
		pr.Checks = append(pr.Checks, e.attestation(ctx, i, ar))
	}
	if ip.Image != nil {
		pr.Checks = append(pr.Checks, e.imageChecks(ip.Image)...)
	}
	if ip.Rego != nil {
		pr.Checks = append(pr.Checks, e.regoCheck(ctx, ip.Rego))
	}
	for _, c := range pr.Checks {
		if !c.Passed {
			pr.Passed = false
		}
	}
	return pr
}

// signedBy returns the signers, among names, with at least one verified
// signature.
func (e *evaluator) signedBy(names []string) []string {
	var out []string
	for _, n := range names {
		for _, ce := range e.evidence {
			if ce.ev.Kind() == KindSignature && ce.verified[n] != nil {
				out = append(out, n)
				break
			}
		}
	}
	return out
}

// who names the signers, each followed by the identity its verified
// signature's certificate names, where it has one.
func (e *evaluator) who(names []string) string {
	var sigs []*checkedEvidence
	for _, ce := range e.evidence {
		if ce.ev.Kind() == KindSignature {
			sigs = append(sigs, ce)
		}
	}
	return whoIn(names, sigs)
}

// whoIn is who over the given evidence.
func whoIn(names []string, evidence []*checkedEvidence) string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		label := n
		for _, ce := range evidence {
			if v := ce.verified[n]; v != nil && v.Identity != "" {
				label = fmt.Sprintf("%s (%s)", n, v.Identity)
				break
			}
		}
		out = append(out, label)
	}
	return strings.Join(out, ", ")
}

// distinctSigners returns the signers, among names, that can each be
// credited with a signature by a key no other of them is credited with:
// a maximum matching of signers to signing keys. One key named by two
// signers, or two signatures made with one key, count once, so allOf and
// threshold need as many keys as they name signers.
func (e *evaluator) distinctSigners(names []string) []string {
	keys := map[string][]string{}
	for _, n := range names {
		for _, ce := range e.evidence {
			v := ce.verified[n]
			if ce.ev.Kind() != KindSignature || v == nil {
				continue
			}
			id := v.KeyID
			if id == "" {
				// A backend that does not say which key signed: one
				// key per signer, as before matching.
				id = "signer:" + n
			}
			if !slices.Contains(keys[n], id) {
				keys[n] = append(keys[n], id)
			}
		}
	}
	owner := map[string]string{}
	var claim func(n string, seen map[string]bool) bool
	claim = func(n string, seen map[string]bool) bool {
		for _, k := range keys[n] {
			if seen[k] {
				continue
			}
			seen[k] = true
			if o, taken := owner[k]; !taken || claim(o, seen) {
				owner[k] = n
				return true
			}
		}
		return false
	}
	var out []string
	for _, n := range names {
		if claim(n, map[string]bool{}) {
			out = append(out, n)
		}
	}
	return out
}

// sharedKeys explains signers whose signatures verified but who could not
// be credited with a key of their own.
func (e *evaluator) sharedKeys(names, distinct []string) string {
	var shared []string
	for _, n := range e.signedBy(names) {
		if !slices.Contains(distinct, n) {
			shared = append(shared, n)
		}
	}
	if len(shared) == 0 {
		return ""
	}
	return fmt.Sprintf("; [%s] verified only with keys other signers already account for "+
		"(one key counts once, under whatever names)", strings.Join(shared, ", "))
}

func (e *evaluator) anyOf(sr *policy.SignatureRule) Check {
	c := Check{Requirement: "signatures.anyOf", Position: sr.Pos.String()}
	c.SatisfiedBy = e.signedBy(sr.AnyOf)
	if len(c.SatisfiedBy) > 0 {
		c.Passed = true
		c.Reason = "signed by " + e.who(c.SatisfiedBy)
		return c
	}
	c.Reason = fmt.Sprintf("no valid signature by any of [%s]%s",
		strings.Join(sr.AnyOf, ", "), e.signatureFailures(sr.AnyOf))
	return c
}

func (e *evaluator) allOf(sr *policy.SignatureRule) Check {
	c := Check{Requirement: "signatures.allOf", Position: sr.Pos.String()}
	c.SatisfiedBy = e.distinctSigners(sr.AllOf)
	var missing []string
	for _, n := range sr.AllOf {
		if !slices.Contains(c.SatisfiedBy, n) {
			missing = append(missing, n)
		}
	}
	if len(missing) == 0 {
		c.Passed = true
		c.Reason = "signed by " + e.who(c.SatisfiedBy)
		return c
	}
	c.Reason = fmt.Sprintf("no valid signature by [%s]%s%s",
		strings.Join(missing, ", "), e.sharedKeys(sr.AllOf, c.SatisfiedBy), e.signatureFailures(missing))
	return c
}

// threshold checks that enough distinct signers of a threshold signed the
// image, whichever backends their signatures came from.
func (e *evaluator) threshold(th *policy.Threshold) Check {
	c := Check{Requirement: "signatures.threshold", Position: th.Pos.String()}
	c.SatisfiedBy = e.distinctSigners(th.Of)
	of := strings.Join(th.Of, ", ")
	if len(c.SatisfiedBy) >= th.Count {
		c.Passed = true
		c.Reason = fmt.Sprintf("signed by %d of [%s], threshold %d: %s", len(c.SatisfiedBy), of,
			th.Count, e.who(c.SatisfiedBy))
		return c
	}
	var missing []string
	for _, n := range th.Of {
		if !slices.Contains(c.SatisfiedBy, n) {
			missing = append(missing, n)
		}
	}
	signed := "none of them signed"
	if len(c.SatisfiedBy) > 0 {
		signed = fmt.Sprintf("only %d signed (%s)", len(c.SatisfiedBy),
			strings.Join(c.SatisfiedBy, ", "))
	}
	c.Reason = fmt.Sprintf("threshold %d of [%s]: %s%s%s", th.Count, of, signed,
		e.sharedKeys(th.Of, c.SatisfiedBy), e.signatureFailures(missing))
	return c
}

// signatureFailures explains why signatures did not verify with the
// given signers.
func (e *evaluator) signatureFailures(names []string) string {
	var sigs []*checkedEvidence
	for _, ce := range e.evidence {
		if ce.ev.Kind() == KindSignature {
			sigs = append(sigs, ce)
		}
	}
	if len(sigs) == 0 {
		return ": the image has no signatures"
	}
	return fmt.Sprintf(": %d signature(s) found%s", len(sigs), failureList(sigs, names))
}

// failureList renders up to three "source (signer): error" entries.
func failureList(evs []*checkedEvidence, names []string) string {
	var parts []string
	for _, ce := range evs {
		for _, n := range names {
			if err, ok := ce.failures[n]; ok && len(parts) < 3 {
				parts = append(parts, fmt.Sprintf("%s with %s: %v", ce.ev.Source(), n, err))
			}
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "; " + strings.Join(parts, "; ")
}

func (e *evaluator) attestation(ctx context.Context, i int, ar *policy.AttestationRule) Check {
	c := Check{Requirement: fmt.Sprintf("attestations[%d] %s", i, ar.Type), Position: ar.Pos.String()}
	cands, why := e.candidates(ar)
	if len(cands) == 0 {
		c.Reason = why
		return c
	}
	best, created := newest(cands, ar.MaxAge > 0)
	c.SatisfiedBy = sortedKeys(best.verified)
	if ar.MaxAge > 0 {
		if reason := e.age(created, ar.MaxAge); reason != "" {
			c.Reason = reason
			return c
		}
	}
	var v verdict
	switch {
	case ar.Rules != nil:
		v = e.vulnRules(best, ar.Rules)
	case ar.SBOM != nil:
		v = e.sbomRules(best, ar)
	}
	if ar.Rego != nil {
		v.failures = append(v.failures, e.regoAttestation(ctx, best, ar.Rego)...)
	}
	c.Waived = v.waived
	if len(v.failures) > 0 {
		c.Reason = strings.Join(v.failures, "; ")
		return c
	}
	c.Passed = true
	c.Reason = fmt.Sprintf("%s attestation signed by %s", best.statement.PredicateType,
		whoIn(c.SatisfiedBy, []*checkedEvidence{best}))
	if !created.IsZero() {
		c.Reason += ", created " + created.UTC().Format(time.RFC3339)
	}
	for _, n := range v.notes {
		c.Reason += ", " + n
	}
	return c
}

// verdict is what an attestation's content rules found.
type verdict struct {
	// failures say, each naming its rule, what broke a rule.
	failures []string
	// waived lists the findings that would have counted against a rule
	// but that an active waiver excuses.
	waived []string
	// notes qualify a pass, such as how many findings were waived.
	notes []string
}

func failed(format string, args ...any) verdict {
	return verdict{failures: []string{fmt.Sprintf(format, args...)}}
}

// allowed lists the signers an attestation rule accepts: its signedBy, or
// when that is empty every signer the policy file names.
func allowed(ar *policy.AttestationRule, ce *checkedEvidence) []string {
	if len(ar.SignedBy) > 0 {
		return ar.SignedBy
	}
	return sortedKeys(ce.verified)
}

// candidates returns the attestations that meet the rule's type and signer,
// or, when there are none, the reason why.
func (e *evaluator) candidates(ar *policy.AttestationRule) ([]*checkedEvidence, string) {
	types := ar.PredicateTypes()
	var cands, wrongSigner, broken []*checkedEvidence
	var found []string
	for _, ce := range e.evidence {
		if ce.ev.Kind() != KindAttestation {
			continue
		}
		pt := ce.ev.PredicateType()
		if ce.statement != nil {
			pt = ce.statement.PredicateType
		}
		found = append(found, pt)
		if !slices.Contains(types, pt) {
			continue
		}
		switch {
		case ce.statement == nil:
			broken = append(broken, ce)
		case hasAny(ce.verified, allowed(ar, ce)):
			cands = append(cands, ce)
		default:
			wrongSigner = append(wrongSigner, ce)
		}
	}
	if len(cands) > 0 {
		return cands, ""
	}
	switch {
	case len(wrongSigner) > 0:
		return nil, fmt.Sprintf("%s attestation is signed by %s, not by any of signedBy [%s]",
			ar.Type, strings.Join(sortedKeys(wrongSigner[0].verified), ", "),
			strings.Join(ar.SignedBy, ", "))
	case len(broken) > 0:
		return nil, fmt.Sprintf("no %s attestation verifies%s", ar.Type,
			failureList(broken, sortedKeys(broken[0].failures)))
	case len(found) == 0:
		return nil, fmt.Sprintf("no %s attestation: the image has no attestations", ar.Type)
	}
	what := ar.Type + " attestation"
	if ar.Type == policy.TypeSBOM && ar.SBOM != nil && ar.SBOM.Format != "" &&
		ar.SBOM.Format != policy.FormatEither {
		what += " in format " + ar.SBOM.Format
	}
	return nil, fmt.Sprintf("no %s (found predicate types: %s)", what,
		strings.Join(uniq(found), ", "))
}

func hasAny(m map[string]*Verified, names []string) bool {
	for _, n := range names {
		if m[n] != nil {
			return true
		}
	}
	return false
}

func uniq(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

// newest picks the candidate with the latest trusted creation time.
// newest picks the candidate created last. Creation times cost a parse of
// each statement's whole predicate (an SBOM can be megabytes), so with a
// single candidate they are read only when needed, for maxAge.
func newest(cands []*checkedEvidence, needTime bool) (*checkedEvidence, time.Time) {
	if len(cands) == 1 && !needTime {
		return cands[0], time.Time{}
	}
	var best *checkedEvidence
	var bestT time.Time
	for _, ce := range cands {
		t := createdAt(ce)
		if best == nil || t.After(bestT) {
			best, bestT = ce, t
		}
	}
	return best, bestT
}

// createdAt is the time the statement's content claims (a vulnerability
// report's scan time, an SBOM's creation time), falling back to a signing
// time proven by a log or timestamp: the earliest one, since each proves
// that the content existed by then.
func createdAt(ce *checkedEvidence) time.Time {
	if t, err := ce.statement.CreatedAt(); err == nil && !t.IsZero() {
		return t
	}
	var earliest time.Time
	for _, v := range ce.verified {
		if !v.SignedAt.IsZero() && (earliest.IsZero() || v.SignedAt.Before(earliest)) {
			earliest = v.SignedAt
		}
	}
	return earliest
}

func (e *evaluator) age(created time.Time, maxAge time.Duration) string {
	if created.IsZero() {
		return "maxAge: the attestation carries no trusted creation time"
	}
	if created.After(e.now.Add(clockSkew)) {
		return fmt.Sprintf("maxAge: the attestation claims a creation time in the future (%s)",
			created.UTC().Format(time.RFC3339))
	}
	if age := e.now.Sub(created); age > maxAge {
		return fmt.Sprintf("maxAge: the attestation is %s old (created %s), more than maxAge %s",
			age.Round(time.Minute), created.UTC().Format(time.RFC3339), maxAge)
	}
	return ""
}
