package policy

import "strings"

// scopeEntry is one scope glob of a policy, with where the file gives it.
type scopeEntry struct {
	ip   *ImagePolicy
	glob *scopeGlob
	text string
	pos  Position
}

// scopes warns about scope globs that repeat one of their own policy, can
// match no repository at all, or overlap another policy's.
func (l *linter) scopes(p *Policy) {
	all := make([][]scopeEntry, len(p.Policies))
	for i, ip := range p.Policies {
		all[i] = l.policyScopes(ip)
	}
	for j := range all {
		for i := range j {
			l.overlap(all[i], all[j])
		}
	}
}

// policyScopes returns a policy's scope globs that can match something,
// once each, warning about the others.
func (l *linter) policyScopes(ip *ImagePolicy) []scopeEntry {
	nodes := yamlItems(yamlValue(l.policyNode(ip.Pos), "scope"))
	var out []scopeEntry
	seen := map[string]Position{}
	for i, g := range ip.globs {
		e := scopeEntry{ip: ip, glob: g, text: ip.Scope[i], pos: ip.Pos}
		if i < len(nodes) {
			e.pos = l.pos(nodes[i])
		}
		key := strings.Join(g.segments, "/")
		if first, dup := seen[key]; dup {
			l.warn(e.pos, LintScopeDuplicate, "policy %q gives scope %q twice (first at %s)",
				ip.Name, e.text, first)
			continue
		}
		seen[key] = e.pos
		if _, ok := scopeWitness(g); !ok {
			l.warn(e.pos, LintScopeUnmatchable, "scope %q of policy %q can match no "+
				"repository: a name starts with a registry host that has a dot or a port "+
				"(index.docker.io for Docker Hub) and goes on in lower case", e.text, ip.Name)
			continue
		}
		out = append(out, e)
	}
	return out
}

// overlap warns, once, when a glob of the earlier policy and one of the
// later can match the same repository, at the later one.
func (l *linter) overlap(earlier, later []scopeEntry) {
	for _, b := range later {
		for _, a := range earlier {
			repo, ok := scopeWitness(a.glob, b.glob)
			if !ok {
				continue
			}
			if repo == "" {
				repo = "the same repositories"
			}
			l.warn(b.pos, LintScopeOverlap, "scope %q of policy %q overlaps scope %q of policy %q "+
				"(%s): both match %s, so an image there must pass both policies",
				b.text, b.ip.Name, a.text, a.ip.Name, a.pos, repo)
			return
		}
	}
}
