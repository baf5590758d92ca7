package policy

import (
	"fmt"
	"path"
	"strings"
)

// dockerHubAlias is how people write Docker Hub; go-containerregistry
// prints it as dockerHub.
const (
	dockerHubAlias = "docker.io"
	dockerHub      = "index.docker.io"
)

// scopeGlob is a compiled scope: a glob over the "/"-separated segments of
// a registry/repository name. A segment "**" stands for zero or more whole
// segments; any other segment is a path.Match pattern for exactly one.
type scopeGlob struct {
	segments []string
}

// compileScope checks a scope and compiles it. Tags and digests are never
// part of a scope.
func compileScope(s string) (*scopeGlob, error) {
	if s == "" {
		return nil, fmt.Errorf("scope is empty")
	}
	if strings.Contains(s, "@") {
		return nil, fmt.Errorf("scope %q names a digest; a scope is registry/repository only", s)
	}
	if strings.Contains(s[strings.LastIndex(s, "/")+1:], ":") {
		return nil, fmt.Errorf("scope %q has a tag; a scope is registry/repository only", s)
	}
	segs := strings.Split(s, "/")
	for _, seg := range segs {
		if err := checkSegment(seg); err != nil {
			return nil, fmt.Errorf("scope %q: %w", s, err)
		}
	}
	if segs[0] == dockerHubAlias {
		segs[0] = dockerHub
	}
	return &scopeGlob{segments: segs}, nil
}

func checkSegment(seg string) error {
	switch {
	case seg == "":
		return fmt.Errorf("empty path segment")
	case seg == "**":
		return nil
	case strings.Contains(seg, "**"):
		return fmt.Errorf("segment %q: ** must be a whole path segment", seg)
	}
	if _, err := path.Match(seg, ""); err != nil {
		return fmt.Errorf("segment %q is not a valid glob: %w", seg, err)
	}
	return nil
}

// match reports whether the whole of repo matches g.
func (g *scopeGlob) match(repo string) bool {
	if repo == "" {
		return false
	}
	names := strings.Split(repo, "/")
	pats := g.segments
	// ok[j] says whether pats[i:] matches names[j:], computed for i from
	// the last pattern segment back to the first.
	ok := make([]bool, len(names)+1)
	ok[len(names)] = true
	for i := len(pats) - 1; i >= 0; i-- {
		next := ok
		ok = make([]bool, len(names)+1)
		if pats[i] == "**" {
			ok[len(names)] = next[len(names)]
			for j := len(names) - 1; j >= 0; j-- {
				ok[j] = next[j] || ok[j+1]
			}
			continue
		}
		for j := len(names) - 1; j >= 0; j-- {
			if next[j+1] {
				m, err := path.Match(pats[i], names[j])
				ok[j] = m && err == nil
			}
		}
	}
	return ok[0]
}
