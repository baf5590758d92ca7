package policy

import (
	"cmp"
	"slices"
	"time"

	"gopkg.in/yaml.v3"
)

// signers warns about signers no policy uses and notation signers that
// check less than their name suggests.
func (l *linter) signers(p *Policy) {
	used := map[string]bool{}
	for _, ip := range p.Policies {
		for _, name := range referencedSigners(ip) {
			used[name] = true
		}
	}
	signers := make([]*Signer, 0, len(p.Signers))
	for _, s := range p.Signers {
		signers = append(signers, s)
	}
	slices.SortFunc(signers, func(a, b *Signer) int {
		return cmp.Or(cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Column, b.Pos.Column))
	})
	for _, s := range signers {
		if !used[s.Name] {
			l.warn(s.Pos, LintSignerUnused, "signer %q is not used by any policy", s.Name)
		}
		if s.Notation != nil {
			l.notation(s)
		}
		if s.Cosign != nil && s.Cosign.Keyless != nil {
			l.keyless(s)
		}
	}
}

// keyless warns about a GitHub Actions signer trusted by a subjectRegexp
// alone: a pattern such as .*acme/app.* also matches the workflows of
// acme/app-evil and of evil/acme/app, and a claim pinning the repository
// is the check a reviewer can read.
func (l *linter) keyless(s *Signer) {
	k := s.Cosign.Keyless
	c := k.Claims
	if k.Issuer != GitHubActionsIssuer || k.SubjectRegexp == "" || c.SourceRepositoryURI != "" ||
		c.SourceRepositoryIdentifier != "" || c.GithubWorkflowRepository != "" {
		return
	}
	at := k.Pos
	if v := yamlValue(l.tree, "signers", s.Name, "cosign", "keyless", "subjectRegexp"); v != nil {
		at = l.pos(v)
	}
	l.warn(at, LintKeylessRepositoryUnpinned, "keyless signer %q trusts any GitHub Actions "+
		"workflow whose identity matches subjectRegexp %q, and no claim pins the repository; "+
		"add claims: {sourceRepositoryURI: https://github.com/OWNER/REPO}", s.Name, k.SubjectRegexp)
}

// referencedSigners lists every signer name a policy refers to.
func referencedSigners(ip *ImagePolicy) []string {
	var names []string
	if sr := ip.Signatures; sr != nil {
		names = append(names, sr.AnyOf...)
		names = append(names, sr.AllOf...)
		if sr.Threshold != nil {
			names = append(names, sr.Threshold.Of...)
		}
	}
	for _, a := range ip.Attestations {
		names = append(names, a.SignedBy...)
	}
	return names
}

// notation warns about a notation signer at a level that leaves checks
// out, or that trusts any identity.
func (l *linter) notation(s *Signer) {
	n := yamlValue(l.tree, "signers", s.Name, "notation")
	pos := func(key string, fallback Position) Position {
		if v := yamlValue(n, key); v != nil {
			return l.pos(v)
		}
		return fallback
	}
	switch s.Notation.Level {
	case LevelAudit:
		l.warn(pos("level", s.Pos), LintNotationLevel, "notation signer %q is at level audit: "+
			"a signature from a certificate its trust store does not anchor, or that matches "+
			"none of its identities, still counts; use strict, or permissive at the least", s.Name)
	case LevelSkip:
		l.warn(pos("level", s.Pos), LintNotationLevel, "notation signer %q is at level skip: "+
			"any notation signature on the image counts, unchecked; use strict", s.Name)
	}
	if slices.Equal(s.Notation.Identities, []string{AnyIdentity}) {
		at := l.listPos(n, 0, s.Pos, "identities")
		l.warn(at, LintNotationAnyIdentity, "notation signer %q trusts identity \"*\": any "+
			"certificate its trust store anchors counts as this signer; name the signing "+
			"certificate's subject with x509.subject", s.Name)
	}
}

// imagePolicy runs the checks of one policy and its requirements.
func (l *linter) imagePolicy(ip *ImagePolicy) {
	pn := l.policyNode(ip.Pos)
	if ip.SkipVerification {
		at := ip.Pos
		if k, _ := yamlField(pn, "skipVerification"); k != nil {
			at = l.pos(k)
		}
		l.warn(at, LintSkipVerification, "policy %q skips verification: every image in its "+
			"scope is admitted unchecked", ip.Name)
	}
	if sr := ip.Signatures; sr != nil {
		sn := yamlValue(pn, "signatures")
		l.repeated(sn, sr.AnyOf, sr.Pos, "anyOf", ip.Name)
		l.repeated(sn, sr.AllOf, sr.Pos, "allOf", ip.Name)
		l.impliedAnyOf(sn, sr, ip.Name)
	}
	atts := yamlItems(yamlValue(pn, "attestations"))
	for _, a := range ip.Attestations {
		l.attestation(nodeAt(atts, a.Pos), a, ip.Name)
	}
}

// repeated warns about a signer named twice in the list under key in n.
func (l *linter) repeated(n *yaml.Node, names []string, fallback Position, key, policyName string) {
	seen := map[string]bool{}
	for i, name := range names {
		if seen[name] {
			l.warn(l.listPos(n, i, fallback, key), LintSignerRepeated,
				"policy %q names signer %q twice in %s", policyName, name, key)
		}
		seen[name] = true
	}
}

// impliedAnyOf warns when anyOf names a signer that allOf requires: then
// anyOf holds whenever allOf does and says nothing.
func (l *linter) impliedAnyOf(n *yaml.Node, sr *SignatureRule, policyName string) {
	for i, name := range sr.AnyOf {
		if slices.Contains(sr.AllOf, name) {
			l.warn(l.listPos(n, i, sr.Pos, "anyOf"), LintSignerRepeated,
				"policy %q: anyOf names %q, which allOf requires anyway, so anyOf adds "+
					"nothing; drop it, or list in allOf only the signers all of which must sign",
				policyName, name)
			return
		}
	}
}

// attestation runs the checks of one attestation requirement; n is its
// node, nil when the tree lacks it.
func (l *linter) attestation(n *yaml.Node, a *AttestationRule, policyName string) {
	l.repeated(n, a.SignedBy, a.Pos, "signedBy", policyName)
	if a.Type != TypeVuln {
		return
	}
	if a.MaxAge == 0 {
		l.warn(a.Pos, LintVulnNoMaxAge, "policy %q: the vuln attestation has no maxAge, "+
			"so a scan of any age passes; a scan says nothing about vulnerabilities found "+
			"since", policyName)
	}
	if a.Rules == nil {
		l.warn(a.Pos, LintVulnNoRules, "policy %q: the vuln attestation has no rules, so a "+
			"scan passes whatever it found; give maxSeverity or maxCount", policyName)
		return
	}
	for _, w := range a.Rules.Waivers {
		if !w.Active(l.now) {
			l.warn(w.Pos, LintWaiverExpired, "%s expired %s (%s): it no longer "+
				"excuses the finding; renew or remove it", waiverName(w.ID, w.Package),
				untilText(w.Until), w.Reason)
		}
	}
}

// untilText shows a waiver's until as the file likely wrote it: a date
// when it is the end of a day in UTC.
func untilText(t time.Time) string {
	if t.Location() == time.UTC && t.Add(time.Nanosecond).Truncate(24*time.Hour).Equal(t.Add(time.Nanosecond)) {
		return "at the end of " + t.Format(dateLayout)
	}
	return "at " + t.Format(time.RFC3339)
}
