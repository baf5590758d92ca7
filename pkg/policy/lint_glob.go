package policy

import (
	"slices"
	"strings"
)

// The characters lint tries when it looks for a repository name that
// scope globs match: what go-containerregistry accepts in a registry host
// (an RFC 3986 authority, less the rarely used characters) and in a
// repository path. Lower case first, so that examples read naturally.
const (
	pathChars     = "abcdefghijklmnopqrstuvwxyz0123456789.-_"
	registryChars = pathChars + ":ABCDEFGHIJKLMNOPQRSTUVWXYZ"
)

// maxWitnessSegments is the most segments a glob may have for
// [scopeWitness] to search: positions are kept in a byte.
const maxWitnessSegments = 250

// Example segments, tried before any search.
const (
	exampleRegistry = "registry.example"
	examplePath     = "app"
)

// witnessState is where the search of [scopeWitness] stands: one byte per
// glob, its segment index, and the number of segments so far, at most 2.
type witnessState struct {
	pos   string
	count int
}

// witnessStep is how the search reached a state: from another, taking a
// segment or skipping a ** (eps).
type witnessStep struct {
	from witnessState
	seg  string
	eps  bool
}

// scopeWitness looks for a repository name that every glob matches and
// returns it. A name is a registry host, which must have a dot or a port
// (go-containerregistry reads anything else as a Docker Hub path), then at
// least one path segment. For globs too long for the search (over
// maxWitnessSegments segments) it gives up and reports a match without a
// name, so that lint never claims what it did not check.
func scopeWitness(globs ...*scopeGlob) (string, bool) {
	for _, g := range globs {
		if len(g.segments) > maxWitnessSegments {
			return "", true
		}
	}
	start := witnessState{pos: strings.Repeat("\x00", len(globs))}
	parent := map[witnessState]witnessStep{start: {}}
	queue := []witnessState{start}
	visit := func(n witnessState, st witnessStep) {
		if _, ok := parent[n]; !ok {
			parent[n] = st
			queue = append(queue, n)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		if s.count == 2 && atEnd(globs, s.pos) {
			return witnessPath(s, parent), true
		}
		// Skip a ** that matches no segment.
		for i, g := range globs {
			if p := int(s.pos[i]); p < len(g.segments) && g.segments[p] == "**" {
				visit(witnessState{pos: setByte(s.pos, i, p+1), count: s.count},
					witnessStep{from: s, eps: true})
			}
		}
		// Take one segment.
		next, pats, ok := consume(globs, s.pos)
		if !ok {
			continue
		}
		if seg, ok := segmentWitness(pats, s.count == 0); ok {
			visit(witnessState{pos: next, count: min(s.count+1, 2)}, witnessStep{from: s, seg: seg})
		}
	}
	return "", false
}

func atEnd(globs []*scopeGlob, pos string) bool {
	for i, g := range globs {
		if int(pos[i]) != len(g.segments) {
			return false
		}
	}
	return true
}

// consume returns the positions after every glob takes one more segment,
// and the patterns that segment must match: a ** takes it and stays, any
// other segment must match it. ok is false when a glob has ended.
func consume(globs []*scopeGlob, pos string) (next string, pats []string, ok bool) {
	next = pos
	for i, g := range globs {
		p := int(pos[i])
		switch {
		case p == len(g.segments):
			return "", nil, false
		case g.segments[p] == "**":
		default:
			pats = append(pats, g.segments[p])
			next = setByte(next, i, p+1)
		}
	}
	return next, pats, true
}

func setByte(s string, i, v int) string {
	b := []byte(s)
	b[i] = byte(v)
	return string(b)
}

// witnessPath joins the segments taken on the way to s.
func witnessPath(s witnessState, parent map[witnessState]witnessStep) string {
	var segs []string
	for {
		st, ok := parent[s]
		if !ok || st == (witnessStep{}) {
			break
		}
		if !st.eps {
			segs = append(segs, st.seg)
		}
		s = st.from
	}
	slices.Reverse(segs)
	return strings.Join(segs, "/")
}

// segmentWitness returns a segment that every pattern matches (path.Match
// syntax, never a "/") and that a repository name can have in that place.
func segmentWitness(pats []string, registry bool) (string, bool) {
	valid := segmentValidity{registry: registry}
	nfas := make([]*globNFA, len(pats))
	for i, p := range pats {
		nfas[i] = compileNFA(p)
	}
	example := examplePath
	if registry {
		example = exampleRegistry
	}
	if valid.accepts(example) && allAccept(nfas, example) {
		return example, true
	}
	return searchSegment(nfas, valid)
}

func allAccept(nfas []*globNFA, s string) bool {
	for _, n := range nfas {
		if !n.accepts(s) {
			return false
		}
	}
	return true
}
