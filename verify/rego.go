package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/vouchsec/vouch/attest"
	"github.com/vouchsec/vouch/pkg/policy"
)

// DefaultRegoTimeout bounds one evaluation of a Rego rule when
// [Options.RegoTimeout] is zero.
const DefaultRegoTimeout = 5 * time.Second

func (o *Options) regoTimeout() time.Duration {
	if o.RegoTimeout <= 0 {
		return DefaultRegoTimeout
	}
	return o.RegoTimeout
}

// regoCheck applies a policy's own Rego rule.
func (e *evaluator) regoCheck(ctx context.Context, r *policy.RegoRule) Check {
	c := Check{Requirement: "rego", Position: r.Pos.String()}
	fails := e.rego(ctx, r, map[string]any{})
	if len(fails) > 0 {
		c.Reason = strings.Join(fails, "; ")
		return c
	}
	c.Passed = true
	c.Reason = "rego " + r.Path + ": nothing denied"
	return c
}

// regoAttestation applies an attestation requirement's Rego rule to the
// attestation judged.
func (e *evaluator) regoAttestation(ctx context.Context, ce *checkedEvidence,
	r *policy.RegoRule) []string {
	input := map[string]any{}
	st, err := jsonValue(ce.raw)
	if err != nil {
		return []string{fmt.Sprintf("rego %s: reading the statement: %v", r.Path, err)}
	}
	input["statement"] = st
	if ce.statement.PredicateType == policy.PredicateVuln {
		if scan, err := attest.ParseVulnPredicate(ce.statement.Predicate); err == nil &&
			scan.Format != "" {
			input["findings"] = regoFindings(scan.Findings)
		}
	}
	return e.rego(ctx, r, input)
}

// rego evaluates r over input completed with the image and its config,
// once for each platform of an index, and returns a failure for each
// message denied, or for an evaluation that did not finish. A message
// denied for some platforms of an index, not all, names them.
func (e *evaluator) rego(ctx context.Context, r *policy.RegoRule, input map[string]any) []string {
	prefix := "rego " + r.Path + ": "
	if e.imageErr != nil {
		return []string{prefix + "cannot read the image configuration: " + e.imageErr.Error()}
	}
	platforms := map[string][]string{}
	for _, img := range e.images {
		in := maps.Clone(input)
		image := map[string]any{"digest": e.digest.String(), "repository": e.repo}
		if img.platform != "" {
			image["platform"] = img.platform
		}
		in["image"], in["config"] = image, img.raw
		msgs, err := e.evalRego(ctx, r, in)
		if err != nil {
			return []string{prefix + platformPrefix(img) + err.Error()}
		}
		for _, m := range msgs {
			platforms[m] = append(platforms[m], img.platform)
		}
	}
	var out []string
	for _, m := range slices.Sorted(maps.Keys(platforms)) {
		if ps := platforms[m]; len(ps) < len(e.images) {
			m += " (" + strings.Join(ps, ", ") + ")"
		}
		out = append(out, prefix+m)
	}
	return out
}

func platformPrefix(img *imageConfig) string {
	if img.platform == "" {
		return ""
	}
	return img.platform + ": "
}

func (e *evaluator) evalRego(ctx context.Context, r *policy.RegoRule, input any) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, e.regoTimeout)
	defer cancel()
	msgs, err := r.Eval(ctx, input, e.now)
	if err != nil && ctx.Err() != nil {
		return nil, fmt.Errorf("evaluation stopped (timeout %s): %w", e.regoTimeout, ctx.Err())
	}
	if err != nil {
		return nil, fmt.Errorf("evaluation failed: %w", err)
	}
	return msgs, nil
}

// regoFindings is the findings as Rego sees them.
func regoFindings(fs []attest.Finding) []any {
	out := make([]any, 0, len(fs))
	for _, f := range fs {
		m := map[string]any{"id": f.ID, "severity": f.Severity.String()}
		for k, v := range map[string]string{"package": f.Package,
			"installedVersion": f.InstalledVersion, "fixedVersion": f.FixedVersion} {
			if v != "" {
				m[k] = v
			}
		}
		out = append(out, m)
	}
	return out
}

// jsonValue decodes JSON into plain values, numbers kept exact.
func jsonValue(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}
