package phone

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nyaruka/phonenumbers"
)

// The differential test compares the fast path with the library on numbers
// generated from the metadata itself: every region's example numbers and
// random walks through its validity automaton (valid ranges and near
// misses), in national and international forms, with and without national
// prefix, IDD, separators, extensions, letters and other characters, parsed
// with no default region, the number's own or another one.
//
// INTAKE_PHONE_DIFF_N sets the number of cases (default 100 000, a few
// seconds); the acceptance run uses 10 000 000.

// corpus is what the generator draws from, built once from the metadata.
type corpus struct {
	t        *table
	regions  []*region // geographic and non-geographic, in table order
	national map[*region]string
	examples map[*region][]string
	parsers  map[string]*Parser
	ids      []string // default regions: "ZZ" and every supported one
}

var loadCorpus = sync.OnceValues(func() (*corpus, error) {
	t, err := loadTable()
	if err != nil {
		return nil, err
	}
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return nil, err
	}
	c := &corpus{t: t, national: map[*region]string{}, examples: map[*region][]string{}, parsers: map[string]*Parser{}, ids: []string{"ZZ"}}
	for i, m := range coll.GetMetadata() {
		r := &t.regions[i]
		if r.id != m.GetId() || r.cc != int(m.GetCountryCode()) {
			return nil, fmt.Errorf("table region %d is %s/%d, metadata says %s/%d", i, r.id, r.cc, m.GetId(), m.GetCountryCode())
		}
		c.regions = append(c.regions, r)
		c.national[r] = m.GetNationalPrefix()
		for _, d := range []*phonenumbers.PhoneNumberDesc{m.GetGeneralDesc(), m.GetFixedLine(), m.GetMobile(), m.GetTollFree(), m.GetPremiumRate(),
			m.GetSharedCost(), m.GetPersonalNumber(), m.GetVoip(), m.GetPager(), m.GetUan(), m.GetVoicemail()} {
			if e := d.GetExampleNumber(); e != "" {
				c.examples[r] = append(c.examples[r], e)
			}
		}
	}
	for id := range t.byID {
		c.ids = append(c.ids, id)
	}
	slices.Sort(c.ids[1:])
	for _, id := range c.ids {
		if c.parsers[id], err = NewParser(id); err != nil {
			return nil, err
		}
	}
	return c, nil
})

// nsn is a national significant number of r: an example number, or a
// random walk through r's validity automaton, sometimes one digit off.
func (c *corpus) nsn(rng *rand.Rand, r *region) string {
	var b []byte
	if ex := c.examples[r]; len(ex) > 0 && rng.IntN(3) == 0 {
		b = []byte(ex[rng.IntN(len(ex))])
		for range rng.IntN(3) { // change a few digits
			b[rng.IntN(len(b))] = byte('0' + rng.IntN(10))
		}
	} else {
		s := r.valid
		for len(b) < maxNSN+1 {
			if len(b) >= minNSN && c.t.info[s]&(1<<len(b)) != 0 && rng.IntN(3) == 0 {
				break
			}
			var live []byte
			for d := range 10 {
				if c.t.next[int(s)*10+d] != 0 {
					live = append(live, byte('0'+d))
				}
			}
			if len(live) == 0 {
				break
			}
			d := live[rng.IntN(len(live))]
			if rng.IntN(40) == 0 {
				d = byte('0' + rng.IntN(10)) // leave the valid ranges
			}
			b = append(b, d)
			if s = c.t.next[int(s)*10+int(d-'0')]; s == 0 {
				break
			}
		}
	}
	switch rng.IntN(8) { // off by one
	case 0:
		b = append(b, byte('0'+rng.IntN(10)))
	case 1:
		if len(b) > 1 {
			b = b[:len(b)-1]
		}
	}
	return string(b)
}

var idds = []string{"00", "011", "010", "810", "0011", "001", "009", "0"}

// number is one generated case: a number written for a default region.
func (c *corpus) number(rng *rand.Rand) (string, string) {
	r := c.regions[rng.IntN(len(c.regions))]
	if rng.IntN(50) == 0 {
		return c.noise(rng), c.ids[rng.IntN(len(c.ids))]
	}
	nsn := c.nsn(rng, r)
	cc := strconv.Itoa(r.cc)
	np := c.national[r]
	def := "ZZ"
	switch rng.IntN(5) {
	case 0, 1:
		if r.id != "001" {
			def = r.id
		}
	case 2:
		def = c.ids[rng.IntN(len(c.ids))]
	}
	var s string
	switch rng.IntN(9) {
	case 0, 1, 2:
		s = "+" + cc + nsn
	case 3:
		s = "+" + cc + np + nsn
	case 4:
		s = idds[rng.IntN(len(idds))] + cc + nsn
	case 5:
		s = np + nsn
	case 6:
		s = nsn
	case 7:
		s = cc + nsn
	case 8:
		s = cc + np + nsn
	}
	return c.decorate(rng, s), def
}

var (
	separators = []string{" ", "-", ".", "(", ")", "/", " - ", ") ", " ("}
	oddities   = []string{"\u00a0", "\t", "x", "#", ",", ";", "*", "~", "+", "++", "ext. ", " x", " ext 12", ";ext=7", " #",
		"tel:", ";phone-context=+44", ";isub=1", "A", "abc", "FLOWERS", "\uff11", "\u0661", "\u06f5", "\u2013", "\uff0b", "\u3000",
		"[", "]", "\u200b", "é", "\x00", "\xff", "/x", "\\", ":", "'", "\""}
)

// decorate inserts separators and, now and then, something the fast path
// must hand to the library.
func (c *corpus) decorate(rng *rand.Rand, s string) string {
	b := []byte(s)
	var out strings.Builder
	if rng.IntN(10) == 0 {
		out.WriteString(separators[rng.IntN(len(separators))])
	}
	odd := rng.IntN(4) == 0
	for i, ch := range b {
		if i > 0 && rng.IntN(4) == 0 {
			out.WriteString(separators[rng.IntN(len(separators))])
		}
		if odd && rng.IntN(len(b)) == 0 {
			out.WriteString(oddities[rng.IntN(len(oddities))])
		}
		out.WriteByte(ch)
	}
	if odd && rng.IntN(3) == 0 {
		out.WriteString(oddities[rng.IntN(len(oddities))])
		if rng.IntN(2) == 0 {
			out.WriteString(strconv.Itoa(rng.IntN(100000)))
		}
	}
	if rng.IntN(10) == 0 {
		out.WriteString(separators[rng.IntN(len(separators))])
	}
	return out.String()
}

// noise is a short random string over the characters numbers are made of.
func (c *corpus) noise(rng *rand.Rand) string {
	const alphabet = "0123456789012345678901234567890123456789 +-().x#/;,*abcEXT"
	b := make([]byte, rng.IntN(25))
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}

// compare checks one case (E164 is the library's answer whenever the fast
// path does not decide); it returns whether the fast path decided and
// whether the number is valid.
func compare(t testing.TB, p *Parser, v string) (decided, valid bool) {
	b, ok, decided := p.fast(nil, v)
	out := string(b)
	if !decided {
		return false, false
	}
	want, wantOK := p.Library(v)
	if out != want || ok != wantOK {
		t.Errorf("region %s, %q: fast path %q %v, library %q %v", p.region, v, out, ok, want, wantOK)
	}
	return true, wantOK
}

func TestFastPathAgreesWithLibrary(t *testing.T) {
	c, err := loadCorpus()
	if err != nil {
		t.Fatal(err)
	}
	n := 100_000
	if s := os.Getenv("INTAKE_PHONE_DIFF_N"); s != "" {
		if n, err = strconv.Atoi(s); err != nil {
			t.Fatalf("INTAKE_PHONE_DIFF_N: %v", err)
		}
	}
	workers := runtime.GOMAXPROCS(0)
	var decided, valid atomic.Int64
	var regions sync.Map
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 14))
			for i := w; i < n; i += workers {
				v, def := c.number(rng)
				p := c.parsers[def]
				d, ok := compare(t, p, v)
				if d {
					decided.Add(1)
				}
				if ok {
					valid.Add(1)
				}
				regions.Store(def, true)
				if t.Failed() {
					return
				}
			}
		}()
	}
	wg.Wait()
	seen := 0
	regions.Range(func(any, any) bool { seen++; return true })
	t.Logf("%d numbers in %v: %d decided by the fast path (%d of them valid), %d default regions", n, time.Since(start).Round(time.Millisecond), decided.Load(), valid.Load(), seen)
	if n >= 100_000 && seen < len(c.ids) {
		t.Errorf("only %d of %d default regions drawn", seen, len(c.ids))
	}
	if decided.Load() < int64(n)/2 {
		t.Errorf("the fast path decided only %d of %d", decided.Load(), n)
	}
}
