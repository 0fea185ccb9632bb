package mapping

import (
	_ "embed"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
)

// conceptsJSON is the concept dictionary; the widget bundles the same file
// (web/widget/src/mapping/concepts.ts), so both engines read one list.
//
//go:embed concepts.json
var conceptsJSON []byte

// Kinds of lexicon entries.
const (
	kindConcept = iota + 1
	kindQualifier
	kindOwner
	kindFiller
)

// maxSpan is the longest run of tokens one lexicon entry may cover.
const maxSpan = 5

// entry is what a compact term means.
type entry struct {
	kind    int
	concept string
	weak    bool
	bare    bool
}

// lexicon is the parsed dictionary: every term in compact form, and the
// concepts' relations.
type lexicon struct {
	terms  map[string]entry
	parent map[string]string
	owner  map[string]bool
	// longest is the longest term in code points, which bounds segmentation.
	longest int
}

// dict is the dictionary, parsed on first use (2 ms and 0.5 MB that no
// command but matching needs at start) and once: the file is part of the
// binary, so a bad one is a build error caught by the tests, not a runtime
// condition.
var dict = sync.OnceValue(func() *lexicon { return mustLexicon(conceptsJSON) })

func mustLexicon(data []byte) *lexicon {
	var file struct {
		Concepts []struct {
			ID     string              `json:"id"`
			Parent string              `json:"parent"`
			Owner  bool                `json:"owner"`
			Terms  map[string][]string `json:"terms"`
		} `json:"concepts"`
		Qualifiers map[string][]string `json:"qualifiers"`
		Owners     []string            `json:"owners"`
		Fillers    []string            `json:"fillers"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		panic("mapping: concepts.json: " + err.Error())
	}
	lx := &lexicon{terms: map[string]entry{}, parent: map[string]string{}, owner: map[string]bool{}}
	add := func(term string, e entry) {
		c := compact(term)
		if c == "" {
			return
		}
		// The first meaning of a term wins; TestLexiconHasNoConflicts keeps
		// the file free of terms with two meanings.
		if _, ok := lx.terms[c]; !ok {
			lx.terms[c] = e
			lx.longest = max(lx.longest, len([]rune(c)))
		}
	}
	for _, c := range file.Concepts {
		if c.Parent != "" {
			lx.parent[c.ID] = c.Parent
		}
		lx.owner[c.ID] = c.Owner
		for _, lang := range locales {
			for _, t := range c.Terms[lang] {
				e := entry{kind: kindConcept, concept: c.ID}
				switch {
				case strings.HasPrefix(t, "^"):
					e.weak, e.bare, t = true, true, t[1:]
				case strings.HasPrefix(t, "~"):
					e.weak, t = true, t[1:]
				}
				add(t, e)
			}
		}
	}
	for _, lang := range locales {
		for _, t := range file.Qualifiers[lang] {
			add(t, entry{kind: kindQualifier})
		}
	}
	for _, t := range file.Owners {
		add(t, entry{kind: kindOwner})
	}
	for _, t := range file.Fillers {
		add(t, entry{kind: kindFiller})
	}
	return lx
}

// locales are the dictionary's languages in the order their terms are read.
var locales = []string{"en", "de", "es", "fr", "ja", "nl", "pt"}

// compact is the normalised form without spaces: what terms are keyed by.
func compact(s string) string { return strings.ReplaceAll(normalise(s), " ", "") }

// analysis is what a header (or a column's key, label or synonym) says once
// read against the dictionary.
type analysis struct {
	// concept is the one concept the name stands for, "" for none; parent
	// is its parent concept (set by MatchValues, which reads it per column).
	concept, parent string
	// qualified: a word such as "consent" or "type" changes what the name
	// holds, so it never takes the bare concept's column.
	qualified bool
	// bare: the name is only a bare name word ("Name", "Nom").
	bare bool
	// index is the first small number left over ("E-mail 2"), 1 if none.
	index int
	// unknown are the words the dictionary does not know, in order.
	unknown []string
	// owners counts words that only say whose field it is ("Home", "Billing").
	owners int
	// weak: the concept was read from a weak word alone ("Address", "Número").
	weak bool
}

// piece is one recognised part of a name.
type piece struct {
	e      entry
	number int // > 0: a small number
	word   string
}

// analyse reads s against the dictionary (docs/templates.md, "Column matching").
func analyse(s string) analysis {
	tokens := strings.Fields(normalise(s))
	var pieces []piece
	for i := 0; i < len(tokens); {
		found := false
		for l := min(maxSpan, len(tokens)-i); l >= 1; l-- {
			if e, ok := dict().terms[strings.Join(tokens[i:i+l], "")]; ok {
				pieces = append(pieces, piece{e: e})
				i += l
				found = true
				break
			}
		}
		if found {
			continue
		}
		tok := tokens[i]
		i++
		if n, ok := smallNumber(tok); ok {
			pieces = append(pieces, piece{number: n})
			continue
		}
		if seg := segment(tok); seg != nil {
			for _, e := range seg {
				pieces = append(pieces, piece{e: e})
			}
			continue
		}
		pieces = append(pieces, piece{word: tok})
	}
	a := analysis{index: 1}
	var strong, weak []string
	indexed := false
	for _, p := range pieces {
		switch {
		case p.number > 0:
			if !indexed {
				a.index, indexed = p.number, true
			}
		case p.word != "":
			a.unknown = append(a.unknown, p.word)
		case p.e.kind == kindQualifier:
			a.qualified = true
		case p.e.kind == kindOwner:
			a.owners++
		case p.e.kind == kindConcept && p.e.weak:
			weak = appendNew(weak, p.e.concept)
		case p.e.kind == kindConcept:
			strong = appendNew(strong, p.e.concept)
		}
	}
	a.bare = len(pieces) == 1 && pieces[0].e.bare
	// A concept named with its parent is the more specific one ("Phone
	// (mobile)"); an owner concept named with another is whose it is
	// ("Company phone").
	strong = dropWhere(strong, func(c string) bool { return hasChild(strong, c) })
	if len(strong) > 1 {
		kept := dropWhere(strong, func(c string) bool { return dict().owner[c] })
		a.owners += len(strong) - len(kept)
		strong = kept
	}
	switch {
	case len(strong) == 1:
		a.concept = strong[0]
	case len(strong) == 0 && len(weak) > 0 && len(a.unknown) == 0:
		// A weak word with words the dictionary does not know names
		// something else: "IP Address", "Manager's Name", "Order Number".
		// Of several weak words the last is the more specific one
		// ("Default Address Address2").
		a.concept, a.weak = weak[len(weak)-1], true
	}
	return a
}

// hasChild reports whether cs holds a concept whose parent is c.
func hasChild(cs []string, c string) bool {
	for _, x := range cs {
		if dict().parent[x] == c {
			return true
		}
	}
	return false
}

func appendNew(cs []string, c string) []string {
	if contains(cs, c) {
		return cs
	}
	return append(cs, c)
}

func contains(cs []string, c string) bool {
	for _, x := range cs {
		if x == c {
			return true
		}
	}
	return false
}

func dropWhere(cs []string, drop func(string) bool) []string {
	var out []string
	for _, c := range cs {
		if !drop(c) {
			out = append(out, c)
		}
	}
	return out
}

// smallNumber reports a token of ASCII digits whose value is 1–99: an
// index such as "E-mail 2" (other numbers are words the dictionary does not
// know).
func smallNumber(tok string) (int, bool) {
	if len(tok) == 0 || len(tok) > 2 {
		return 0, false
	}
	for i := 0; i < len(tok); i++ {
		if tok[i] < '0' || tok[i] > '9' {
			return 0, false
		}
	}
	n, _ := strconv.Atoi(tok)
	return n, n >= 1
}

// usable reports a term that may be a piece of a split token: a filler
// only in CJK text, where words run together ("会社の電話"); in Latin text a
// short filler would split anything ("leid" is not "le" + "id").
func usable(e entry, first rune) bool { return e.kind != kindFiller || first >= 0x2E80 }

// segment splits a token the dictionary does not know whole ("emailadresse",
// "携帯電話番号") into the fewest terms, each at least two code points long
// unless it is a CJK character (U+2E80 and above), fillers only in CJK. Among splits into as few
// terms, the one whose first term is longest is taken, and so on. A split
// made of fillers and owners only is no split: the token stays unknown.
func segment(tok string) []entry {
	r := []rune(tok)
	n := len(r)
	if n < 2 || n > 64 {
		return nil
	}
	const none = 1 << 30
	// best[i] is the fewest terms r[i:] splits into.
	best := make([]int, n+1)
	for i := n - 1; i >= 0; i-- {
		best[i] = none
		for j := min(n, i+dict().longest); j > i; j-- {
			if j-i == 1 && r[i] < 0x2E80 {
				continue
			}
			if best[j] == none {
				continue
			}
			if e, ok := dict().terms[string(r[i:j])]; ok && usable(e, r[i]) && best[j]+1 < best[i] {
				best[i] = best[j] + 1
			}
		}
	}
	if best[0] == none || best[0] < 2 {
		return nil
	}
	var out []entry
	meaningful := false
	for i := 0; i < n; {
		for j := min(n, i+dict().longest); j > i; j-- {
			if j-i == 1 && r[i] < 0x2E80 {
				continue
			}
			e, ok := dict().terms[string(r[i:j])]
			if ok && usable(e, r[i]) && best[j] == best[i]-1 {
				out = append(out, e)
				meaningful = meaningful || e.kind == kindConcept || e.kind == kindQualifier
				i = j
				break
			}
		}
	}
	if !meaningful {
		return nil
	}
	return out
}
