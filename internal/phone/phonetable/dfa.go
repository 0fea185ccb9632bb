package phonetable

import (
	"fmt"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
)

// An automaton is built from several patterns at once: each pattern is a
// regexp/syntax program (a Thompson NFA), and one subset construction over
// all of them gives a DFA over the ten ASCII digits whose every state knows
// which of the patterns accept there. Inputs are digit strings only, so a
// pattern's other characters never match and are simply not transitions.

// nfaState is one instruction of one of the programs: prog<<24 | pc.
type nfaState uint32

// builder accumulates the DFA states of every automaton of the table in one
// pool. State 0 is the dead state (no pattern can match any more).
type builder struct {
	next   [][10]uint32 // transitions of each state
	labels []uint32     // bit i: pattern i of the state's automaton accepts here
}

func newBuilder() *builder {
	return &builder{next: [][10]uint32{{}}, labels: []uint32{0}}
}

// compile parses a metadata pattern the way nyaruka's regexp.MustCompile
// does (Perl syntax). Anchors ("$" in some national prefixes) are refused
// unless approx is set: then they are read as matching everywhere, which
// gives an automaton accepting a superset of the pattern's strings, good
// only to prove that nothing matches. anchored reports whether it had any.
func compile(pattern string, approx bool) (prog *syntax.Prog, anchored bool, err error) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil, false, fmt.Errorf("parse %q: %w", pattern, err)
	}
	prog, err = syntax.Compile(re.Simplify())
	if err != nil {
		return nil, false, fmt.Errorf("compile %q: %w", pattern, err)
	}
	for _, in := range prog.Inst {
		if in.Op == syntax.InstEmptyWidth {
			if !approx {
				return nil, false, fmt.Errorf("pattern %q: anchors and word boundaries are not supported", pattern)
			}
			anchored = true
		}
	}
	return prog, anchored, nil
}

// add builds the DFA that runs all progs side by side (full-match semantics:
// a state's label bit i is set when progs[i] accepts exactly the digits read
// so far) and returns its start state.
func (b *builder) add(progs []*syntax.Prog) (uint32, error) {
	if len(progs) > 32 {
		return 0, fmt.Errorf("%d patterns in one automaton, 32 at most", len(progs))
	}
	closure := func(set []nfaState) []nfaState {
		seen := map[nfaState]bool{}
		var out []nfaState
		var visit func(s nfaState)
		visit = func(s nfaState) {
			if seen[s] {
				return
			}
			seen[s] = true
			p, pc := progs[s>>24], uint32(s&0xFFFFFF)
			in := &p.Inst[pc]
			mk := func(pc uint32) nfaState { return s&^0xFFFFFF | nfaState(pc) }
			switch in.Op {
			case syntax.InstAlt, syntax.InstAltMatch:
				visit(mk(in.Out))
				visit(mk(in.Arg))
			case syntax.InstCapture, syntax.InstNop, syntax.InstEmptyWidth:
				visit(mk(in.Out))
			default:
				out = append(out, s)
			}
		}
		for _, s := range set {
			visit(s)
		}
		slices.Sort(out)
		return out
	}
	key := func(set []nfaState) string {
		var sb strings.Builder
		for _, s := range set {
			sb.WriteString(strconv.FormatUint(uint64(s), 36))
			sb.WriteByte(',')
		}
		return sb.String()
	}
	ids := map[string]uint32{"": 0}
	var sets [][]nfaState
	intern := func(set []nfaState) uint32 {
		k := key(set)
		if id, ok := ids[k]; ok {
			return id
		}
		id := uint32(len(b.next))
		ids[k] = id
		var label uint32
		for _, s := range set {
			if progs[s>>24].Inst[s&0xFFFFFF].Op == syntax.InstMatch {
				label |= 1 << (s >> 24)
			}
		}
		b.next = append(b.next, [10]uint32{})
		b.labels = append(b.labels, label)
		sets = append(sets, set)
		return id
	}
	var start []nfaState
	for i, p := range progs {
		start = append(start, nfaState(i)<<24|nfaState(p.Start))
	}
	first := uint32(len(b.next))
	startID := intern(closure(start))
	for id := first; id < uint32(len(b.next)); id++ {
		set := sets[id-first]
		for d := range 10 {
			var moved []nfaState
			for _, s := range set {
				in := &progs[s>>24].Inst[s&0xFFFFFF]
				switch in.Op {
				case syntax.InstRune, syntax.InstRune1, syntax.InstRuneAny, syntax.InstRuneAnyNotNL:
					if in.MatchRune(rune('0' + d)) {
						moved = append(moved, s&^0xFFFFFF|nfaState(in.Out))
					}
				case syntax.InstMatch, syntax.InstFail:
				default:
					return 0, fmt.Errorf("unexpected instruction %v", in.Op)
				}
			}
			b.next[id][d] = intern(closure(moved))
		}
		if len(b.next) > 1<<22 {
			return 0, fmt.Errorf("automaton too large")
		}
	}
	return startID, nil
}

// prefixFree reports whether no accepted string of the automaton at start is
// a prefix of another one (the empty string included): then the first
// accepting state met while reading the digits is the only possible match,
// whatever the regexp engine's preference among alternatives. Bit 0 of the
// label is the acceptance tested.
func (b *builder) prefixFree(start uint32) bool {
	if b.labels[start]&1 != 0 {
		return false
	}
	// From each accepting state, no accepting state may be reachable.
	reach := func(from uint32) bool {
		seen := map[uint32]bool{from: true}
		queue := []uint32{from}
		for len(queue) > 0 {
			s := queue[0]
			queue = queue[1:]
			for _, t := range b.next[s] {
				if t == 0 || seen[t] {
					continue
				}
				if b.labels[t]&1 != 0 {
					return true
				}
				seen[t] = true
				queue = append(queue, t)
			}
		}
		return false
	}
	seen := map[uint32]bool{start: true}
	queue := []uint32{start}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		if b.labels[s]&1 != 0 && reach(s) {
			return false
		}
		for _, t := range b.next[s] {
			if t != 0 && !seen[t] {
				seen[t] = true
				queue = append(queue, t)
			}
		}
	}
	return true
}

// minimize merges equivalent states of the whole pool (Moore's partition
// refinement), given each state's observable value, and returns the new
// pool with a map from old state to new. The dead state stays 0.
func minimize(next [][10]uint32, value []uint64) ([][10]uint32, []uint32) {
	n := len(next)
	class := make([]uint32, n)
	{
		ids := map[uint64]uint32{value[0]: 0}
		for s := range n {
			id, ok := ids[value[s]]
			if !ok {
				id = uint32(len(ids))
				ids[value[s]] = id
			}
			class[s] = id
		}
	}
	classes := 0
	for {
		type sig struct {
			c    uint32
			next [10]uint32
		}
		ids := map[sig]uint32{}
		nc := make([]uint32, n)
		for s := range n { // the dead state first, so that it keeps class 0
			k := sig{c: class[s]}
			for d := range 10 {
				k.next[d] = class[next[s][d]]
			}
			id, ok := ids[k]
			if !ok {
				id = uint32(len(ids))
				ids[k] = id
			}
			nc[s] = id
		}
		class = nc
		if len(ids) == classes {
			break
		}
		classes = len(ids)
	}
	out := make([][10]uint32, classes)
	for s := range n {
		for d := range 10 {
			out[class[s]][d] = class[next[s][d]]
		}
	}
	return out, class
}
