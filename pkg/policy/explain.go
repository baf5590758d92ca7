package policy

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Explanation says which policies apply to a repository, why, and what
// each requires. It is worked out from the policy alone: nothing is
// fetched.
type Explanation struct {
	// Repository is the registry/repository the scopes were matched
	// against.
	Repository string `json:"repository"`
	// Policies are the policies that apply, in file order. The image must
	// pass every one; none means it would be refused.
	Policies []PolicyExplanation `json:"policies"`
	// NotApplying names the other policies of the file.
	NotApplying []string `json:"notApplying"`
	// Signers describes each signer the applying policies name, in the
	// order they are first named.
	Signers []SignerExplanation `json:"signers"`
}

// PolicyExplanation is one policy that applies.
type PolicyExplanation struct {
	Name     string `json:"name"`
	Position string `json:"position"`
	// MatchedScope is the first of the policy's scope globs that matches
	// the repository, as the file writes it.
	MatchedScope     string                   `json:"matchedScope"`
	SkipVerification bool                     `json:"skipVerification,omitempty"`
	Signatures       *SignaturesExplanation   `json:"signatures,omitempty"`
	Attestations     []AttestationExplanation `json:"attestations"`
	// Image says, one rule a line, what the image's configuration must
	// satisfy.
	Image []string `json:"image,omitempty"`
	// Rego is the Rego file of the policy's custom rule, as the policy
	// names it.
	Rego string `json:"rego,omitempty"`
}

// SignaturesExplanation is a policy's signature rule.
type SignaturesExplanation struct {
	AnyOf     []string              `json:"anyOf,omitempty"`
	AllOf     []string              `json:"allOf,omitempty"`
	Threshold *ThresholdExplanation `json:"threshold,omitempty"`
}

// ThresholdExplanation is signatures.threshold.
type ThresholdExplanation struct {
	Count int      `json:"count"`
	Of    []string `json:"of"`
}

// AttestationExplanation is one attestation a policy requires.
type AttestationExplanation struct {
	Type string `json:"type"`
	// PredicateTypes are the in-toto predicate types that count.
	PredicateTypes []string `json:"predicateTypes"`
	SignedBy       []string `json:"signedBy"`
	// MaxAge is a Go duration, empty for no limit.
	MaxAge string `json:"maxAge,omitempty"`
	// Rules say, one a line, what the content must satisfy.
	Rules []string `json:"rules,omitempty"`
	// Rego is the Rego file of the requirement's custom rule.
	Rego     string `json:"rego,omitempty"`
	Position string `json:"position"`
}

// SignerExplanation describes a signer's trust material.
type SignerExplanation struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Key, KeyAlgorithm and KeyFingerprint describe a cosign key: the
	// file as the policy names it, such as "ECDSA P-256", and the SHA-256
	// of the key's DER form.
	Key            string `json:"key,omitempty"`
	KeyAlgorithm   string `json:"keyAlgorithm,omitempty"`
	KeyFingerprint string `json:"keyFingerprint,omitempty"`
	// Issuer, Subject, SubjectRegexp and TrustedRoot describe a keyless
	// cosign signer, as the policy writes them.
	Issuer        string `json:"issuer,omitempty"`
	Subject       string `json:"subject,omitempty"`
	SubjectRegexp string `json:"subjectRegexp,omitempty"`
	TrustedRoot   string `json:"trustedRoot,omitempty"`
	// RequireTlog and RequireTimestamp are a keyless signer's demands for
	// a Rekor entry and an RFC 3161 timestamp.
	RequireTlog      bool `json:"requireTlog,omitempty"`
	RequireTimestamp bool `json:"requireTimestamp,omitempty"`
	// Claims are the Fulcio certificate extensions a keyless signer pins,
	// by their JSON names, in the order of certificate.Extensions.
	Claims []Claim `json:"claims,omitempty"`
	// The rest describe a notation signer: its trust stores as the policy
	// names them, the subjects of the certificates in them, its
	// identities and its level.
	TrustStore         string   `json:"trustStore,omitempty"`
	TrustStoreSubjects []string `json:"trustStoreSubjects,omitempty"`
	TSATrustStore      string   `json:"tsaTrustStore,omitempty"`
	Identities         []string `json:"identities,omitempty"`
	Level              string   `json:"level,omitempty"`
}

// Explain says which policies apply to repo (registry/repository, as
// [Policy.Match] takes it) and what they require.
func (p *Policy) Explain(repo string) *Explanation {
	e := &Explanation{Repository: repo, Policies: []PolicyExplanation{},
		NotApplying: []string{}, Signers: []SignerExplanation{}}
	var named []string
	for _, ip := range p.Policies {
		scope, ok := ip.matchingScope(repo)
		if !ok {
			e.NotApplying = append(e.NotApplying, ip.Name)
			continue
		}
		e.Policies = append(e.Policies, explainPolicy(ip, scope))
		for _, n := range referencedSigners(ip) {
			if !slices.Contains(named, n) {
				named = append(named, n)
			}
		}
	}
	for _, n := range named {
		if s := p.Signers[n]; s != nil {
			e.Signers = append(e.Signers, explainSigner(s))
		}
	}
	return e
}

// matchingScope returns the first scope glob that matches repo.
func (ip *ImagePolicy) matchingScope(repo string) (string, bool) {
	for i, s := range ip.Scope {
		var g *scopeGlob
		if i < len(ip.globs) {
			g = ip.globs[i]
		} else if c, err := compileScope(s); err == nil {
			g = c
		}
		if g != nil && g.match(repo) {
			return s, true
		}
	}
	return "", false
}

func explainPolicy(ip *ImagePolicy, scope string) PolicyExplanation {
	pe := PolicyExplanation{Name: ip.Name, Position: ip.Pos.String(), MatchedScope: scope,
		SkipVerification: ip.SkipVerification, Attestations: []AttestationExplanation{}}
	if sr := ip.Signatures; sr != nil {
		pe.Signatures = &SignaturesExplanation{AnyOf: sr.AnyOf, AllOf: sr.AllOf}
		if t := sr.Threshold; t != nil {
			pe.Signatures.Threshold = &ThresholdExplanation{Count: t.Count, Of: t.Of}
		}
	}
	if ip.Image != nil {
		pe.Image = ip.Image.Summary()
	}
	if ip.Rego != nil {
		pe.Rego = ip.Rego.Path
	}
	for _, a := range ip.Attestations {
		ae := AttestationExplanation{Type: a.Type, PredicateTypes: a.PredicateTypes(),
			SignedBy: a.SignedBy, Position: a.Pos.String()}
		if a.Rego != nil {
			ae.Rego = a.Rego.Path
		}
		if a.MaxAge > 0 {
			ae.MaxAge = shortDuration(a.MaxAge)
		}
		if a.Rules != nil {
			ae.Rules = a.Rules.Summary()
		}
		if a.SBOM != nil {
			ae.Rules = a.SBOM.Summary()
		}
		pe.Attestations = append(pe.Attestations, ae)
	}
	return pe
}

// shortDuration writes d as a policy would: 720h, not 720h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

func explainSigner(s *Signer) SignerExplanation {
	se := SignerExplanation{Name: s.Name, Kind: s.Kind()}
	if c := s.Cosign; c != nil && c.Keyless != nil {
		k := c.Keyless
		se.Issuer, se.Subject, se.SubjectRegexp = k.Issuer, k.Subject, k.SubjectRegexp
		se.TrustedRoot = k.TrustedRootPath
		se.RequireTlog, se.RequireTimestamp = k.RequireTlog, k.RequireTimestamp
		se.Claims = k.ClaimList()
	} else if c != nil {
		se.Key, se.KeyAlgorithm = c.KeyPath, keyAlgorithm(c)
		se.TrustedRoot = c.TrustedRootPath
		if der, err := x509.MarshalPKIXPublicKey(c.PublicKey); err == nil {
			sum := sha256.Sum256(der)
			se.KeyFingerprint = "sha256:" + hex.EncodeToString(sum[:])
		}
	}
	if n := s.Notation; n != nil {
		se.TrustStore, se.TSATrustStore = n.TrustStorePath, n.TSATrustStorePath
		se.Identities, se.Level = n.Identities, n.Level
		for _, c := range n.TrustStore {
			se.TrustStoreSubjects = append(se.TrustStoreSubjects, c.Subject.String())
		}
	}
	return se
}

func keyAlgorithm(c *CosignSigner) string {
	switch k := c.PublicKey.(type) {
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d", k.N.BitLen())
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return fmt.Sprintf("%T", c.PublicKey)
}

// Summary says, one rule a line, what the vulnerability rules require.
func (r *VulnRules) Summary() []string {
	var out []string
	if r.HasMaxSeverity {
		out = append(out, "no finding above "+r.MaxSeverity.String())
	}
	if len(r.MaxCount) > 0 {
		var limits []string
		for sev := SeverityCritical; sev >= SeverityNone; sev-- {
			if n, ok := r.MaxCount[sev]; ok {
				limits = append(limits, fmt.Sprintf("%d %s", n, sev))
			}
		}
		out = append(out, "at most "+strings.Join(limits, ", "))
	}
	if r.FixedOnly {
		out = append(out, "counting only findings that have a fix")
	}
	for _, w := range r.Waivers {
		out = append(out, "waived: "+w.String())
	}
	return out
}

// Summary says, one rule a line, what the image rules require.
func (r *ImageRules) Summary() []string {
	var out []string
	if r.NonRoot {
		out = append(out, "runs as a user other than root")
	}
	for _, l := range r.RequiredLabels {
		out = append(out, "label "+l.String())
	}
	if len(r.AllowedBaseImages) > 0 {
		pats := make([]string, len(r.AllowedBaseImages))
		for i, p := range r.AllowedBaseImages {
			pats[i] = p.Pattern
		}
		out = append(out, "base image one of: "+strings.Join(pats, ", "))
	}
	if len(r.DeniedEnv) > 0 {
		pats := make([]string, len(r.DeniedEnv))
		for i, p := range r.DeniedEnv {
			pats[i] = p.Pattern
		}
		out = append(out, "no environment variable matching: "+strings.Join(pats, ", "))
	}
	if r.MaxLayers > 0 {
		out = append(out, fmt.Sprintf("at most %d layers", r.MaxLayers))
	}
	return out
}

// Summary says, one rule a line, what the SBOM rules require.
func (r *SBOMRules) Summary() []string {
	var out []string
	if r.Format != "" {
		out = append(out, "format "+r.Format)
	}
	if r.MinPackages > 0 {
		unit := "packages"
		if r.MinPackages == 1 {
			unit = "package"
		}
		out = append(out, fmt.Sprintf("at least %d %s", r.MinPackages, unit))
	}
	for _, dp := range r.DeniedPackages {
		s := "denied package " + dp.Name
		if dp.Versions != "" {
			s += " " + dp.Versions
		}
		out = append(out, s)
	}
	if len(r.DeniedLicenses) > 0 {
		exprs := make([]string, len(r.DeniedLicenses))
		for i, dl := range r.DeniedLicenses {
			exprs[i] = dl.Expression
		}
		out = append(out, "denied licenses: "+strings.Join(exprs, ", "))
	}
	return out
}
