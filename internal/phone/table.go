package phone

import (
	_ "embed"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"

	"github.com/intakehq/intake/internal/phone/phonetable"
)

//go:generate go run ./gen -o table.json

// tableJSON is generated from the phonenumbers metadata (docs/phone.md); the
// widget is meant to import the same file.
//
//go:embed table.json
var tableJSON []byte

// table is the decoded form of table.json, immutable once built.
type table struct {
	next    []uint16 // state*10 + digit → state
	info    []uint32 // phonetable.Info* bits and valid-length mask
	regions []region
	byID    map[string]*region // geographic regions by code
	// byCC maps a calling code (0–999) to its regions, main one first.
	byCC [1000][]*region
}

type region struct {
	id            string
	cc            int
	ccDigits      string
	valid         uint16
	leading       bool
	idd           uint16
	iddExact      bool
	national      uint16
	nationalExact bool
	// The general description's possible lengths as testNumberLength
	// reads them: first and last entry, and all of them as bits.
	lenFirst, lenLast int
	lenMask, local    uint64
}

var loadTable = sync.OnceValues(func() (*table, error) {
	var src phonetable.Table
	if err := json.Unmarshal(tableJSON, &src); err != nil {
		return nil, fmt.Errorf("phone table: %w", err)
	}
	next, err := base64.StdEncoding.DecodeString(src.Next)
	if err != nil {
		return nil, fmt.Errorf("phone table: transitions: %w", err)
	}
	info, err := base64.StdEncoding.DecodeString(src.Info)
	if err != nil {
		return nil, fmt.Errorf("phone table: info: %w", err)
	}
	if len(next) != src.States*20 || len(info) != src.States*4 {
		return nil, fmt.Errorf("phone table: %d bytes of transitions and %d of info for %d states", len(next), len(info), src.States)
	}
	t := &table{next: make([]uint16, src.States*10), info: make([]uint32, src.States), byID: map[string]*region{}}
	for i := range t.next {
		t.next[i] = binary.LittleEndian.Uint16(next[2*i:])
		if int(t.next[i]) >= src.States {
			return nil, fmt.Errorf("phone table: transition to state %d of %d", t.next[i], src.States)
		}
	}
	for i := range t.info {
		t.info[i] = binary.LittleEndian.Uint32(info[4*i:])
	}
	t.regions = make([]region, len(src.Regions))
	for i, r := range src.Regions {
		for _, s := range []uint32{r.Valid, r.IDD, r.National} {
			if s >= uint32(src.States) {
				return nil, fmt.Errorf("phone table: region %s starts at state %d of %d", r.ID, s, src.States)
			}
		}
		if len(r.Lengths) == 0 {
			return nil, fmt.Errorf("phone table: region %s has no possible lengths", r.ID)
		}
		t.regions[i] = region{
			id: r.ID, cc: r.CC, ccDigits: strconv.Itoa(r.CC),
			valid: uint16(r.Valid), leading: r.Leading,
			idd: uint16(r.IDD), iddExact: r.IDDExact,
			national: uint16(r.National), nationalExact: r.NationalExact,
			lenFirst: int(r.Lengths[0]), lenLast: int(r.Lengths[len(r.Lengths)-1]),
			lenMask: bits(r.Lengths), local: bits(r.LocalOnly),
		}
		if r.ID != "001" {
			t.byID[r.ID] = &t.regions[i]
		}
	}
	for _, c := range src.CallingCodes {
		if c.CC <= 0 || c.CC > 999 || len(c.Regions) == 0 {
			return nil, fmt.Errorf("phone table: calling code %d", c.CC)
		}
		for _, ri := range c.Regions {
			if ri < 0 || ri >= len(t.regions) {
				return nil, fmt.Errorf("phone table: calling code %d: region %d", c.CC, ri)
			}
			t.byCC[c.CC] = append(t.byCC[c.CC], &t.regions[ri])
		}
	}
	return t, nil
})

func bits(lengths []int32) uint64 {
	var m uint64
	for _, l := range lengths {
		if l >= 0 && l < 64 {
			m |= 1 << l
		}
	}
	return m
}

// walk runs the automaton from state s over digits and returns the state
// reached (0, dead, as soon as nothing can match any more).
func (t *table) walk(s uint16, digits []byte) uint16 {
	for _, c := range digits {
		s = t.next[int(s)*10+int(c-'0')]
		if s == 0 {
			return 0
		}
	}
	return s
}

// prefix runs a prefix automaton over digits: the length of the first
// prefix it accepts (0 when it accepts the empty string, which only an
// inexact automaton can), or -1 when it accepts none.
func (t *table) prefix(s uint16, digits []byte) int {
	switch {
	case s == 0:
		return -1
	case t.info[s]&phonetable.InfoPrefix != 0:
		return 0
	}
	for i, c := range digits {
		s = t.next[int(s)*10+int(c-'0')]
		if s == 0 {
			return -1
		}
		if t.info[s]&phonetable.InfoPrefix != 0 {
			return i + 1
		}
	}
	return -1
}

// general reports whether the region's general pattern matches digits.
func (t *table) general(r *region, digits []byte) bool {
	return t.info[t.walk(r.valid, digits)]&phonetable.InfoGeneral != 0
}

// lengthResult is the library's ValidationResult, as far as parsing
// distinguishes it.
type lengthResult int

const (
	isPossible lengthResult = iota
	tooShort
	tooLong
	invalidLength
	localOnly
)

// testLength is testNumberLength(number, metadata, UNKNOWN).
func (r *region) testLength(n int) lengthResult {
	switch {
	case r.lenFirst == -1:
		return invalidLength
	case n < 64 && r.local&(1<<n) != 0:
		return localOnly
	case r.lenFirst == n:
		return isPossible
	case r.lenFirst > n:
		return tooShort
	case r.lenLast < n:
		return tooLong
	case n < 64 && r.lenMask&(1<<n) != 0:
		return isPossible
	}
	return invalidLength
}
