// Package benchdata writes Intake's seeded benchmark data set: the same
// records, byte for byte in CSV, as the shared generator gen-data.mjs
// (generator version 1, seed 20240601) writes for the same row count, so a
// figure measured from a clone is measured on the bytes the documented
// figures were. Ten typed columns with realistic values: accents,
// apostrophes, notes needing CSV quoting, ~0.5% missing or malformed emails,
// ~0.5% empty phones, the other phones valid for libphonenumber.
package benchdata

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"
)

// Seed is the generator's seed; a data set is named by it, the generator
// version and its row count.
const Seed = 20240601

// Header is the data set's header row.
var Header = []string{"id", "first_name", "last_name", "email", "phone", "signup_date", "amount", "country", "active", "notes"}

// Record is one row as typed values (the CSV writes them as text, the XLSX
// as typed cells).
type Record struct {
	ID                  int
	FirstName, LastName string
	Email, Phone        string
	SignupDate          time.Time
	AmountCents         int64
	Country             string
	Active              bool
	Notes               string
}

// Amount is the amount as the CSV writes it (two decimals).
func (r *Record) Amount() string {
	c := r.AmountCents
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d.%02d", sign, c/100, c%100)
}

// Fields are the record's cells as the CSV holds them, unquoted.
func (r *Record) Fields() []string {
	return []string{strconv.Itoa(r.ID), r.FirstName, r.LastName, r.Email, r.Phone, r.SignupDate.Format(time.DateOnly),
		r.Amount(), r.Country, strconv.FormatBool(r.Active), r.Notes}
}

var (
	first = []string{"James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William", "Elizabeth",
		"David", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen", "Daniel", "Nancy",
		"Matthew", "Lisa", "Anthony", "Betty", "Mark", "Margaret", "Donald", "Sandra", "Steven", "Ashley", "Paul", "Kimberly",
		"Andrew", "Emily", "Joshua", "Donna", "Kenneth", "Michelle", "Kevin", "Carol", "Brian", "Amanda", "George", "Melissa",
		"José", "María", "Zoë", "Søren", "Chloé", "Łukasz", "Ana", "Mohammed", "Fatima", "Wei", "Yuki", "Aarav", "Priya",
		"Olga", "Ingrid", "Mateo", "Lucía", "Hannah", "Lukas", "Emma", "Noah", "Mia", "Liam", "Sofia", "Oliver", "Amelia"}
	last = []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
		"Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee",
		"Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young",
		"Müller", "Schmidt", "Dubois", "Rossi", "Nowak", "Kowalski", "Jensen", "Nielsen", "O'Brien", "Murphy", "Tanaka",
		"Suzuki", "Wang", "Li", "Zhang", "Kumar", "Singh", "Silva", "Santos", "Ivanova", "Petrov", "García-López", "van Dijk"}
	domains   = []string{"example.com", "mail.example.org", "acme.test", "corp.example.net", "example.co.uk", "inbox.example.de"}
	countries = []string{"US", "CA", "MX", "BR", "AR", "GB", "IE", "FR", "DE", "NL", "BE", "ES", "PT", "IT", "CH", "AT",
		"DK", "SE", "NO", "FI", "PL", "CZ", "GR", "TR", "IN", "CN", "JP", "KR", "SG", "AU", "NZ", "ZA", "NG", "EG", "AE"}
	words = []string{"order", "delivered", "late", "refund", "requested", "customer", "called", "about", "invoice", "wrong",
		"address", "updated", "prefers", "email", "contact", "VIP", "renewal", "due", "next", "month", "paid", "by", "card",
		"bank", "transfer", "follow", "up", "needed", "spoke", "with", "support", "team", "discount", "applied", "for",
		"loyalty", "shipping", "delayed", "warehouse", "issue", "resolved", "pending", "review", "account", "manager"}
	quotes  = []string{`"urgent"`, `"do not call"`, `"gift"`, `"as is"`, `"fragile"`}
	usAreas = []string{"201", "212", "213", "305", "312", "415", "503", "512", "602", "617", "646", "702", "713", "718", "773", "818", "917", "919"}
	intl    = []struct {
		cc, lead string
		digits   int
	}{{"44", "20 7", 7}, {"49", "30 ", 8}, {"33", "1 ", 8}, {"34", "91 ", 7}, {"39", "06 ", 8}, {"81", "3 5", 7}, {"61", "2 9", 7}, {"91", "98", 8}}

	day0 = time.Date(2015, time.January, 1, 0, 0, 0, 0, time.UTC)
)

const days = 11 * 365

// Generator yields the data set's records in order, from id 1.
type Generator struct {
	a  uint32 // mulberry32's state
	id int
}

// New starts the data set at its first record.
func New() *Generator { return &Generator{a: Seed} }

// next is mulberry32, as gen-data.mjs computes it: a float in [0, 1).
func (g *Generator) next() float64 {
	g.a += 0x6d2b79f5
	t := g.a
	t = (t ^ t>>15) * (t | 1)
	t ^= t + (t^t>>7)*(t|61)
	return float64(t^t>>14) / 4294967296
}

func (g *Generator) below(n int) int { return int(math.Floor(g.next() * float64(n))) }

func (g *Generator) pick(list []string) string { return list[g.below(len(list))] }

// Next returns the next record.
func (g *Generator) Next() Record {
	g.id++
	r := Record{ID: g.id, FirstName: g.pick(first), LastName: g.pick(last)}
	num := g.below(1000)
	r.Email = ascii(r.FirstName) + "." + ascii(r.LastName) + strconv.Itoa(num) + "@" + g.pick(domains)
	if e := g.next(); e < 0.003 {
		r.Email = strings.Replace(r.Email, "@", "", 1) // ~0.3% invalid: no @
	} else if e < 0.005 {
		r.Email = "" // ~0.2% missing
	}
	switch p := g.next(); {
	case p < 0.005:
	case p < 0.5:
		area := g.pick(usAreas)
		exchange := 200 + g.below(800)
		r.Phone = fmt.Sprintf("+1 %s-%d-%04d", area, exchange, g.below(10000))
	default:
		c := intl[g.below(len(intl))]
		r.Phone = fmt.Sprintf("+%s %s%0*d", c.cc, c.lead, c.digits, int64(math.Floor(g.next()*math.Pow10(c.digits))))
	}
	r.SignupDate = day0.AddDate(0, 0, g.below(days))
	r.AmountCents = int64(g.below(5_000_000))
	if g.next() < 0.05 {
		r.AmountCents -= 5_000_000
	}
	r.Country = g.pick(countries)
	r.Active = g.next() < 0.7
	if g.next() > 0.1 {
		n := 1 + g.below(10)
		ws := make([]string, 0, n+2)
		for range n {
			ws = append(ws, g.pick(words))
		}
		if g.next() < 0.2 {
			ws = insert(ws, 1+g.below(len(ws)), ",") // a comma needs quoting
		}
		if g.next() < 0.06 {
			at := g.below(len(ws) + 1)
			ws = insert(ws, at, g.pick(quotes)) // quotes need escaping
		}
		notes := strings.ReplaceAll(strings.Join(ws, " "), " ,", ",")
		r.Notes = strings.ToUpper(notes[:1]) + notes[1:] // the words are ASCII
	}
	return r
}

func insert(s []string, at int, v string) []string {
	s = append(s, "")
	copy(s[at+1:], s[at:])
	s[at] = v
	return s
}

// ascii is a name as the email's local part spells it (gen-data.mjs's
// ascii): accents dropped (NFD without U+0300–U+036F), Ł, ł and ø spelled
// L, l and o, anything else outside ASCII letters and digits dropped, lower
// case.
func ascii(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch r {
		case 'Ł', 'ł':
			r = 'l'
		case 'ø':
			r = 'o'
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else if r >= 'A' && r <= 'Z' {
			b.WriteRune(r + 'a' - 'A')
		}
	}
	return b.String()
}

// WriteCSV writes the first rows records with a header row, RFC 4180
// quoting, LF line ends: the bytes of gen-data.mjs's rows-N.csv.
func WriteCSV(w io.Writer, rows int) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	_, _ = bw.WriteString(strings.Join(Header, ",") + "\n") // a bufio.Writer keeps its first error: WriteByte and Flush report it
	g := New()
	for range rows {
		r := g.Next()
		f := r.Fields()
		for _, i := range []int{1, 2, 9} { // the only columns that may need quoting
			f[i] = csvField(f[i])
		}
		_, _ = bw.WriteString(strings.Join(f, ","))
		if err := bw.WriteByte('\n'); err != nil {
			return fmt.Errorf("write bench CSV: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write bench CSV: %w", err)
	}
	return nil
}

func csvField(s string) string {
	if strings.ContainsAny(s, "\",\r\n") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}
