package policy

import (
	"fmt"
	"slices"
	"time"

	"gopkg.in/yaml.v3"
)

// imagePolicies decodes the policies list.
func (d *decoder) imagePolicies(n *yaml.Node, known map[string]bool) []*ImagePolicy {
	if !d.expectKind(n, yaml.SequenceNode, "policies") {
		return nil
	}
	if len(n.Content) == 0 {
		d.errorf(n, "policies is empty; give at least one policy")
		return nil
	}
	var out []*ImagePolicy
	seen := map[string]Position{}
	for _, item := range n.Content {
		ip := d.imagePolicy(item, known)
		if ip == nil {
			continue
		}
		if first, dup := seen[ip.Name]; dup && ip.Name != "" {
			d.errorf(item, "duplicate policy name %q (first at %s)", ip.Name, first)
			continue
		}
		seen[ip.Name] = ip.Pos
		out = append(out, ip)
	}
	return out
}

// imagePolicy decodes one entry of the policies list.
func (d *decoder) imagePolicy(n *yaml.Node, known map[string]bool) *ImagePolicy {
	what := "policy"
	if name := peek(n, "name"); name != "" {
		what = fmt.Sprintf("policy %q", name)
	}
	f, ok := d.mapping(n, what, "name", "scope", "signatures", "attestations", "image", "rego",
		"skipVerification")
	if !ok {
		return nil
	}
	ip := &ImagePolicy{Pos: d.pos(n)}
	if v := d.required(f, "name"); v != nil {
		ip.Name, _ = d.str(v, "policy name")
	}
	if v := d.required(f, "scope"); v != nil {
		d.scope(v, ip)
	}
	if v := f.value("signatures"); v != nil {
		ip.Signatures = d.signatureRule(v, known)
	}
	att := f.value("attestations")
	if att != nil {
		ip.Attestations = d.attestations(att, known)
	}
	if v := f.value("image"); v != nil {
		ip.Image = d.imageRules(v)
	}
	if v := f.value("rego"); v != nil {
		ip.Rego = d.rego(v)
	}
	skipOK := true
	if v := f.value("skipVerification"); v != nil {
		ip.SkipVerification, skipOK = d.boolean(v, "skipVerification")
	}
	noAtt := att == nil || (att.Kind == yaml.SequenceNode && len(att.Content) == 0)
	checks := f.value("signatures") != nil || att != nil || f.value("image") != nil ||
		f.value("rego") != nil
	switch {
	case ip.SkipVerification && checks:
		d.errorf(f.keys["skipVerification"], "%s: skipVerification: true cannot be "+
			"combined with signatures, attestations, image or rego", f.what)
		ip.SkipVerification = false
	case skipOK && !ip.SkipVerification && f.value("signatures") == nil && noAtt:
		// Image rules and rego judge what an image is, not who made it.
		d.errorf(n, "%s requires neither signatures nor attestations; "+
			"it would admit any image in its scope (say skipVerification: true if that is meant)",
			f.what)
	}
	return ip
}

// boolean decodes a YAML true or false; ok is false after an error.
func (d *decoder) boolean(n *yaml.Node, what string) (b, ok bool) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || n.Decode(&b) != nil {
		d.errorf(n, "%s must be true or false, not %s", what, describe(n))
		return false, false
	}
	return b, true
}

// scope decodes and compiles a policy's scope globs.
func (d *decoder) scope(n *yaml.Node, ip *ImagePolicy) {
	vals, nodes, _ := d.strList(n, "scope")
	for i, s := range vals {
		g, err := compileScope(s)
		if err != nil {
			d.errorf(nodes[i], "%v", err)
			continue
		}
		ip.Scope = append(ip.Scope, s)
		ip.globs = append(ip.globs, g)
	}
}

// signatureRule decodes a policy's signatures requirement.
func (d *decoder) signatureRule(n *yaml.Node, known map[string]bool) *SignatureRule {
	f, ok := d.mapping(n, "signatures", "anyOf", "allOf", "threshold")
	if !ok {
		return nil
	}
	r := &SignatureRule{Pos: d.pos(n)}
	if v := f.value("anyOf"); v != nil {
		names, nodes, _ := d.strList(v, "anyOf")
		d.checkSigners(names, nodes, "anyOf", known)
		r.AnyOf = names
	}
	if v := f.value("allOf"); v != nil {
		names, nodes, _ := d.strList(v, "allOf")
		d.checkSigners(names, nodes, "allOf", known)
		r.AllOf = names
	}
	if v := f.value("threshold"); v != nil {
		r.Threshold = d.threshold(v, known)
	}
	if len(f.vals) == 0 {
		d.errorf(n, "signatures names no signer; give anyOf, allOf or threshold")
	}
	return r
}

// threshold decodes signatures.threshold: count distinct signers of a
// list.
func (d *decoder) threshold(n *yaml.Node, known map[string]bool) *Threshold {
	f, ok := d.mapping(n, "threshold", "count", "of")
	if !ok {
		return nil
	}
	t := &Threshold{Pos: d.pos(n)}
	countOK, ofOK := false, false
	if v := d.required(f, "count"); v != nil {
		t.Count, countOK = d.count(v, "threshold count")
	}
	if v := d.required(f, "of"); v != nil {
		var names []string
		var nodes []*yaml.Node
		names, nodes, ofOK = d.strList(v, "threshold of")
		d.checkSigners(names, nodes, "threshold of", known)
		for i, name := range names {
			if slices.Contains(t.Of, name) {
				d.errorf(nodes[i], "signer %q is named twice in threshold of", name)
				ofOK = false
				continue
			}
			t.Of = append(t.Of, name)
		}
	}
	// With a broken of, the number of signers is not known.
	if countOK && ofOK && (t.Count < 1 || t.Count > len(t.Of)) {
		d.errorf(f.value("count"), "threshold count %d must be between 1 and %d, "+
			"the number of signers in of", t.Count, len(t.Of))
	}
	return t
}

// attestations decodes a policy's attestation requirements.
func (d *decoder) attestations(n *yaml.Node, known map[string]bool) []*AttestationRule {
	if !d.expectKind(n, yaml.SequenceNode, "attestations") {
		return nil
	}
	var out []*AttestationRule
	for _, item := range n.Content {
		if a := d.attestation(item, known); a != nil {
			out = append(out, a)
		}
	}
	return out
}

// attestation decodes one attestation requirement.
func (d *decoder) attestation(n *yaml.Node, known map[string]bool) *AttestationRule {
	f, ok := d.mapping(n, "attestation", "type", "signedBy", "maxAge", "rules", "rego")
	if !ok {
		return nil
	}
	a := &AttestationRule{Pos: d.pos(n)}
	if v := d.required(f, "type"); v != nil {
		a.Type = d.attestationType(v)
	}
	if v := d.required(f, "signedBy"); v != nil {
		names, nodes, _ := d.strList(v, "signedBy")
		d.checkSigners(names, nodes, "signedBy", known)
		a.SignedBy = names
	}
	if v := f.value("maxAge"); v != nil {
		a.MaxAge = d.maxAge(v)
	}
	if v := f.value("rules"); v != nil {
		switch a.Type {
		case TypeVuln:
			a.Rules = d.vulnRules(v)
		case TypeSBOM, TypeSPDX, TypeCycloneDX:
			a.SBOM = d.sbomRules(v, a.Type)
		case "":
			// An empty type is already reported as invalid.
		default:
			d.errorf(v, "rules apply to vuln and SBOM attestations, not to %s; "+
				"use rego for the content of others", a.Type)
		}
	}
	if v := f.value("rego"); v != nil {
		a.Rego = d.rego(v)
	}
	return a
}

func (d *decoder) attestationType(n *yaml.Node) string {
	s, ok := d.str(n, "attestation type")
	if !ok {
		return ""
	}
	switch s {
	case TypeSBOM, TypeSPDX, TypeCycloneDX, TypeVuln, TypeProvenance:
		return s
	}
	if isPredicateURI(s) {
		return s
	}
	d.errorf(n, "unknown attestation type %q; expected one of %s, %s, %s, %s, %s, "+
		"or a predicate type URI such as https://slsa.dev/provenance/v1",
		s, TypeSBOM, TypeSPDX, TypeCycloneDX, TypeVuln, TypeProvenance)
	return ""
}

func (d *decoder) maxAge(n *yaml.Node) time.Duration {
	s, ok := d.str(n, "maxAge")
	if !ok {
		return 0
	}
	age, err := time.ParseDuration(s)
	if err != nil {
		d.wrap(n, err, "maxAge %q is not a Go duration (such as 720h for 30 days)", s)
		return 0
	}
	if age <= 0 {
		d.errorf(n, "maxAge %q must be positive", s)
		return 0
	}
	return age
}
