package policy

import "strings"

// maxSearchStates bounds the search for a segment several patterns match.
// Patterns people write need a few dozen states; past the bound the
// search gives up and reports a match, so that lint never claims a glob
// can match nothing when it did not finish looking.
const maxSearchStates = 1 << 14

// globToken is one element of a path.Match pattern.
type globToken struct {
	star bool // *: any run of characters
	any  bool // ?: any one character
	// A literal when class is nil, else a character class.
	lit   rune
	class []runeRange
	neg   bool
}

type runeRange struct{ lo, hi rune }

func (t globToken) matches(c rune) bool {
	switch {
	case t.star, t.any:
		return true
	case t.class != nil:
		in := false
		for _, r := range t.class {
			if r.lo <= c && c <= r.hi {
				in = true
			}
		}
		return in != t.neg
	}
	return t.lit == c
}

// globNFA matches one scope segment: its states are positions in the
// token list, the last one accepting.
type globNFA struct{ toks []globToken }

// compileNFA parses a pattern in path.Match syntax, already checked by
// compileScope.
func compileNFA(pat string) *globNFA {
	n := &globNFA{}
	rs := []rune(pat)
	for i := 0; i < len(rs); i++ {
		switch rs[i] {
		case '*':
			if k := len(n.toks); k == 0 || !n.toks[k-1].star {
				n.toks = append(n.toks, globToken{star: true})
			}
		case '?':
			n.toks = append(n.toks, globToken{any: true})
		case '[':
			var t globToken
			t, i = parseClass(rs, i+1)
			n.toks = append(n.toks, t)
		case '\\':
			if i+1 < len(rs) {
				i++
			}
			n.toks = append(n.toks, globToken{lit: rs[i]})
		default:
			n.toks = append(n.toks, globToken{lit: rs[i]})
		}
	}
	return n
}

// parseClass reads a character class from rs[i:], just after its "[",
// and returns it with the index of its "]".
func parseClass(rs []rune, i int) (globToken, int) {
	t := globToken{class: []runeRange{}}
	if i < len(rs) && rs[i] == '^' {
		t.neg = true
		i++
	}
	char := func() rune {
		if rs[i] == '\\' && i+1 < len(rs) {
			i++
		}
		c := rs[i]
		i++
		return c
	}
	for i < len(rs) && rs[i] != ']' {
		lo := char()
		hi := lo
		if i+1 < len(rs) && rs[i] == '-' && rs[i+1] != ']' {
			i++
			hi = char()
		}
		t.class = append(t.class, runeRange{lo, hi})
	}
	return t, i
}

// start returns the states before any character.
func (n *globNFA) start() []bool {
	set := make([]bool, len(n.toks)+1)
	set[0] = true
	return n.closure(set)
}

// closure adds the states a * reaches by matching nothing.
func (n *globNFA) closure(set []bool) []bool {
	for i, t := range n.toks {
		if set[i] && t.star {
			set[i+1] = true
		}
	}
	return set
}

// step returns the states after c.
func (n *globNFA) step(set []bool, c rune) []bool {
	next := make([]bool, len(set))
	for i, t := range n.toks {
		if !set[i] || !t.matches(c) {
			continue
		}
		if t.star {
			next[i] = true
		} else {
			next[i+1] = true
		}
	}
	return n.closure(next)
}

func (n *globNFA) final(set []bool) bool { return set[len(n.toks)] }

func (n *globNFA) accepts(s string) bool {
	set := n.start()
	for _, c := range s {
		set = n.step(set, c)
	}
	return n.final(set)
}

// segmentValidity is the automaton of the segments a repository name can
// have: a registry host with a dot or a colon, or a lower-case path
// segment; never empty. Its states: 0 empty, 1 some characters, 2 (a
// registry only) a dot or colon seen.
type segmentValidity struct{ registry bool }

func (v segmentValidity) alphabet() string {
	if v.registry {
		return registryChars
	}
	return pathChars
}

func (v segmentValidity) step(state int, c rune) (int, bool) {
	if !strings.ContainsRune(v.alphabet(), c) {
		return 0, false
	}
	if v.registry && (c == '.' || c == ':') {
		return 2, true
	}
	return max(state, 1), true
}

func (v segmentValidity) final(state int) bool {
	if v.registry {
		return state == 2
	}
	return state == 1
}

func (v segmentValidity) accepts(s string) bool {
	state := 0
	for _, c := range s {
		var ok bool
		if state, ok = v.step(state, c); !ok {
			return false
		}
	}
	return v.final(state)
}

// searchSegment finds the shortest segment that v and every pattern
// accept, breadth first over the product of their states.
func searchSegment(nfas []*globNFA, v segmentValidity) (string, bool) {
	type node struct {
		valid int
		sets  [][]bool
		word  string
	}
	key := func(n node) string {
		var b strings.Builder
		b.WriteByte(byte('0' + n.valid))
		for _, set := range n.sets {
			b.WriteByte('|')
			for _, in := range set {
				if in {
					b.WriteByte('1')
				} else {
					b.WriteByte('0')
				}
			}
		}
		return b.String()
	}
	first := node{sets: make([][]bool, len(nfas))}
	for i, n := range nfas {
		first.sets[i] = n.start()
	}
	seen := map[string]bool{key(first): true}
	queue := []node{first}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if v.final(cur.valid) && allFinal(nfas, cur.sets) {
			return cur.word, true
		}
		for _, c := range v.alphabet() {
			next, ok := advance(nfas, v, cur.valid, cur.sets, c)
			if !ok {
				continue
			}
			n := node{valid: next.valid, sets: next.sets, word: cur.word + string(c)}
			if k := key(n); !seen[k] {
				if len(seen) >= maxSearchStates {
					return "", true
				}
				seen[k] = true
				queue = append(queue, n)
			}
		}
	}
	return "", false
}

type product struct {
	valid int
	sets  [][]bool
}

// advance steps every automaton over c; ok is false when one of them
// can no longer accept.
func advance(nfas []*globNFA, v segmentValidity, valid int, sets [][]bool,
	c rune) (product, bool) {
	nv, ok := v.step(valid, c)
	if !ok {
		return product{}, false
	}
	out := product{valid: nv, sets: make([][]bool, len(nfas))}
	for i, n := range nfas {
		out.sets[i] = n.step(sets[i], c)
		if !anyState(out.sets[i]) {
			return product{}, false
		}
	}
	return out, true
}

func allFinal(nfas []*globNFA, sets [][]bool) bool {
	for i, n := range nfas {
		if !n.final(sets[i]) {
			return false
		}
	}
	return true
}

func anyState(set []bool) bool {
	for _, in := range set {
		if in {
			return true
		}
	}
	return false
}
