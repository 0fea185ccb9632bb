// Package phonetable builds the phone fast path's table (docs/phone.md) from
// the metadata compiled into github.com/nyaruka/phonenumbers, so that the
// metadata's version is the one go.mod pins and nowhere else. It is run by
// `go generate ./internal/phone` and, in a test, checked against the
// committed internal/phone/table.json.
//
// Every regular expression the library matches digits against is turned into
// a DFA over the ten ASCII digits; a region's type patterns, its general
// pattern and its leading digits become one automaton whose states say which
// national-number lengths are valid there. Whatever the table cannot
// reproduce exactly is marked for the slow path instead (Region.Slow*).
package phonetable

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"regexp/syntax"
	"slices"

	"github.com/nyaruka/phonenumbers"
)

// Info bits of a state (Table.Info); bits 0–23 are the valid lengths.
const (
	// InfoGeneral: the region's general national-number pattern matches
	// the digits read so far (no length check).
	InfoGeneral = 1 << 24
	// InfoLeading: the region's leading-digits pattern matched a prefix.
	InfoLeading = 1 << 25
	// InfoPrefix: an IDD or national-prefix automaton accepts here.
	InfoPrefix = 1 << 26
	// MaxLength is the longest national number a length mask can say is
	// valid; the metadata's longest is 17 (MAX_LENGTH_FOR_NSN).
	MaxLength = 23
)

// Table is the generated file: a pool of DFA states shared by every
// automaton, the regions' parse parameters and the calling codes.
type Table struct {
	// Source is the module and version the metadata comes from.
	Source string `json:"source"`
	// States is the number of DFA states; state 0 is dead (never accepts).
	States int `json:"states"`
	// Next holds, base64, States×10 little-endian uint16: the state after
	// reading digit d in state s is at index s*10+d.
	Next string `json:"next"`
	// Info holds, base64, States little-endian uint32: the Info* bits and,
	// in a region's validity automaton, bit n set when a national number of
	// n digits ending in this state is a valid number of the region.
	Info string `json:"info"`
	// Regions are the metadata entries in the library's order.
	Regions []Region `json:"regions"`
	// CallingCodes maps each calling code to its regions (indexes into
	// Regions), main region first, in the library's order.
	CallingCodes []CallingCode `json:"calling_codes"`
}

// Region is one metadata entry: a region, or a non-geographic calling code
// (ID "001").
type Region struct {
	ID string `json:"id"`
	CC int    `json:"cc"`
	// Valid is the start of the validity automaton (see Table.Info).
	Valid uint32 `json:"valid"`
	// Leading: the region has a leading-digits pattern, which picks it
	// among the regions of its calling code (InfoLeading).
	Leading bool `json:"leading,omitempty"`
	// IDD is the start of the international prefix's automaton (0 when no
	// digit string can match). When IDDExact, the first accepting state
	// met ends the only possible match; otherwise the automaton accepts a
	// superset of the pattern's matches and any acceptance means "ask the
	// library".
	IDD      uint32 `json:"idd"`
	IDDExact bool   `json:"idd_exact"`
	// National is the same for the national prefix for parsing (0 when the
	// region has none). It is exact only without a transform rule; an
	// exact match is simply removed, subject to the library's checks.
	National      uint32 `json:"national"`
	NationalExact bool   `json:"national_exact"`
	// Lengths and LocalOnly are the general description's possible
	// lengths as the library stores them (its testNumberLength reads the
	// first and last entries as minimum and maximum).
	Lengths   []int32 `json:"lengths"`
	LocalOnly []int32 `json:"local_only,omitempty"`
}

// CallingCode lists the regions of one country calling code.
type CallingCode struct {
	CC      int   `json:"cc"`
	Regions []int `json:"regions"`
}

// Module is the library the metadata comes from.
const Module = "github.com/nyaruka/phonenumbers"

// Build generates the table from the linked library's metadata and returns
// it as the JSON file committed in internal/phone; version is the library's
// version as go.mod pins it, recorded in the file.
func Build(version string) ([]byte, error) {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return nil, fmt.Errorf("phone metadata: %w", err)
	}
	b := newBuilder()
	t := &Table{Source: Module + " " + version}
	type key struct {
		id string
		cc int
	}
	index := map[key]int{}
	// Which automata each state belongs to decides how its labels read.
	type pending struct {
		region int
		start  uint32
		kind   int // 0 validity, 1 prefix
	}
	var starts []pending
	var descLens [][]uint32 // per region: length mask per label bit
	for _, m := range coll.GetMetadata() {
		r := Region{ID: m.GetId(), CC: int(m.GetCountryCode())}
		gen := m.GetGeneralDesc()
		if gen == nil {
			return nil, fmt.Errorf("region %s: no general description", r.ID)
		}
		r.Lengths = gen.GetPossibleLength()
		r.LocalOnly = gen.GetPossibleLengthLocalOnly()
		// Labels: bit 0 general pattern, bit 1 leading digits, bits 2+
		// the types getNumberTypeHelper tests, each with its lengths.
		descs := []*phonenumbers.PhoneNumberDesc{
			m.GetPremiumRate(), m.GetTollFree(), m.GetSharedCost(), m.GetVoip(), m.GetPersonalNumber(),
			m.GetPager(), m.GetUan(), m.GetVoicemail(), m.GetFixedLine(),
		}
		if !m.GetSameMobileAndFixedLinePattern() {
			descs = append(descs, m.GetMobile())
		}
		progs := make([]*syntax.Prog, 2, 2+len(descs))
		if progs[0], _, err = compile(gen.GetNationalNumberPattern(), false); err != nil {
			return nil, fmt.Errorf("region %s general: %w", r.ID, err)
		}
		// "^(?:ld)" matches a prefix: the same as a full match of ld\d*.
		ld := `[^\s\S]` // matches nothing
		if m.GetLeadingDigits() != "" {
			r.Leading = true
			ld = `(?:` + m.GetLeadingDigits() + `)\d*`
		}
		if progs[1], _, err = compile(ld, false); err != nil {
			return nil, fmt.Errorf("region %s leading digits: %w", r.ID, err)
		}
		lens := []uint32{lengthMask(gen.GetPossibleLength()), 0}
		for i, d := range descs {
			if d == nil {
				// The library would dereference nil: this never
				// happens with the metadata it ships.
				return nil, fmt.Errorf("region %s: type %d has no description", r.ID, i)
			}
			p, _, err := compile(d.GetNationalNumberPattern(), false)
			if err != nil {
				return nil, fmt.Errorf("region %s type %d: %w", r.ID, i, err)
			}
			progs = append(progs, p)
			lens = append(lens, lengthMask(d.GetPossibleLength()))
		}
		for _, l := range append(slices.Clone(gen.GetPossibleLength()), gen.GetPossibleLengthLocalOnly()...) {
			if l > MaxLength {
				return nil, fmt.Errorf("region %s: possible length %d over %d", r.ID, l, MaxLength)
			}
		}
		if r.Valid, err = b.add(progs); err != nil {
			return nil, fmt.Errorf("region %s: %w", r.ID, err)
		}
		ri := len(t.Regions)
		starts = append(starts, pending{ri, r.Valid, 0})
		descLens = append(descLens, lens)

		// The international prefix: an unanchored FindStringIndex that
		// must match at 0, i.e. a prefix of the digits in the language.
		if r.IDD, r.IDDExact, err = b.addPrefix(m.GetInternationalPrefix(), false); err != nil {
			return nil, fmt.Errorf("region %s international prefix: %w", r.ID, err)
		}
		starts = append(starts, pending{ri, r.IDD, 1})
		if np := m.GetNationalPrefixForParsing(); np != "" {
			if r.National, r.NationalExact, err = b.addPrefix(np, m.GetNationalPrefixTransformRule() != ""); err != nil {
				return nil, fmt.Errorf("region %s national prefix: %w", r.ID, err)
			}
			starts = append(starts, pending{ri, r.National, 1})
		}
		if len(r.Lengths) == 0 {
			// testNumberLength would index an empty slice.
			return nil, fmt.Errorf("region %s: no possible lengths", r.ID)
		}
		index[key{r.ID, r.CC}] = ri
		t.Regions = append(t.Regions, r)
	}

	// Each state's observable value, from the automaton it was built for.
	info := make([]uint64, len(b.next))
	owner := make([]int, len(b.next)) // index into starts, +1
	for i, p := range starts {
		seen := []uint32{p.start}
		owner[p.start] = i + 1
		for len(seen) > 0 {
			s := seen[len(seen)-1]
			seen = seen[:len(seen)-1]
			for _, n := range b.next[s] {
				if n != 0 && owner[n] == 0 {
					owner[n] = i + 1
					seen = append(seen, n)
				}
			}
		}
	}
	for s := 1; s < len(b.next); s++ {
		p := starts[owner[s]-1]
		l := b.labels[s]
		if p.kind == 1 {
			if l&1 != 0 {
				info[s] = InfoPrefix
			}
			continue
		}
		lens := descLens[p.region]
		var v uint64
		if l&1 != 0 {
			v |= InfoGeneral
		}
		if l&2 != 0 {
			v |= InfoLeading
		}
		var typed uint32
		for bit := 2; bit < len(lens); bit++ {
			if l&(1<<bit) != 0 {
				typed |= lens[bit]
			}
		}
		if l&1 != 0 {
			v |= uint64(typed & lens[0])
		}
		info[s] = v
	}
	next, class := minimize(b.next, info)
	for i := range t.Regions {
		r := &t.Regions[i]
		r.Valid, r.IDD = class[r.Valid], class[r.IDD]
		if r.National != 0 {
			r.National = class[r.National]
		}
	}
	infoOut := make([]uint64, len(next))
	for s := range info {
		infoOut[class[s]] = info[s]
	}
	if len(next) > 1<<16 {
		return nil, fmt.Errorf("%d states do not fit the table's 16-bit state numbers", len(next))
	}
	var nb, ib bytes.Buffer
	for s := range next {
		for d := range 10 {
			nb.Write(binary.LittleEndian.AppendUint16(nil, uint16(next[s][d])))
		}
		ib.Write(binary.LittleEndian.AppendUint32(nil, uint32(infoOut[s])))
	}
	t.States = len(next)
	t.Next = base64.StdEncoding.EncodeToString(nb.Bytes())
	t.Info = base64.StdEncoding.EncodeToString(ib.Bytes())

	for cc := range phonenumbers.GetSupportedCallingCodes() {
		c := CallingCode{CC: cc}
		for _, id := range phonenumbers.GetRegionCodesForCountryCode(cc) {
			ri, ok := index[key{id, cc}]
			if !ok {
				return nil, fmt.Errorf("calling code %d: region %s has no metadata", cc, id)
			}
			c.Regions = append(c.Regions, ri)
		}
		t.CallingCodes = append(t.CallingCodes, c)
	}
	slices.SortFunc(t.CallingCodes, func(a, b CallingCode) int { return a.CC - b.CC })
	out, err := json.MarshalIndent(t, "", "\t")
	if err != nil {
		return nil, fmt.Errorf("phone table: %w", err)
	}
	return append(out, '\n'), nil
}

// addPrefix builds the automaton of a prefix pattern and says whether its
// first acceptance is the library's match: the pattern has no anchors, no
// transform applies, and no accepted string is a prefix of another (so the
// regexp engine's preference among alternatives cannot matter).
func (b *builder) addPrefix(pattern string, transformed bool) (uint32, bool, error) {
	p, anchored, err := compile(pattern, true)
	if err != nil {
		return 0, false, err
	}
	start, err := b.add([]*syntax.Prog{p})
	if err != nil {
		return 0, false, err
	}
	return start, !anchored && !transformed && b.prefixFree(start), nil
}

// lengthMask is the set of lengths as bits; no lengths means any length
// (the library then skips the length check), and [-1] means none.
func lengthMask(lengths []int32) uint32 {
	if len(lengths) == 0 {
		return 1<<(MaxLength+1) - 1
	}
	var m uint32
	for _, l := range lengths {
		if l >= 0 && l <= MaxLength {
			m |= 1 << l
		}
	}
	return m
}
