package validate

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/intakehq/intake/internal/template"
)

// The engine's shortcuts (a date format's fixed width, its canonical layout
// checked without matching) must give the answers of the paths they skip.
// These tests compare them with those paths on generated and fuzzed values.

// shortcutColumns are date, datetime and time columns whose formats take
// every shortcut and none.
var shortcutColumns = []string{
	`{"key": "d", "type": "date", "formats": ["YYYY-MM-DD", "MM/DD/YYYY", "DD.MM.YY", "D MMM YYYY", "YYYYMMDD"], "excel_serial": "1900"}`,
	`{"key": "dt", "type": "datetime", "formats": ["YYYY-MM-DD[T]HH:mm:ss", "YYYY-MM-DD HH:mm", "DD/MM/YYYY hh:mm A", "YYYY-MM-DD[T]HH:mm:ssZ"]}`,
	`{"key": "t", "type": "time", "formats": ["HH:mm:ss", "HH:mm", "H[h]mm"]}`,
}

// withoutShortcuts is c with the shortcuts of its formats turned off.
func withoutShortcuts(c checker) checker {
	d, ok := c.(*dateCheck)
	if !ok {
		return c
	}
	plain := *d
	plain.formats = make([]dateFormat, len(d.formats))
	for i, f := range d.formats {
		plain.formats[i] = dateFormat{DateFormat: f.DateFormat, width: -1}
	}
	return &plain
}

func shortcutEngines(t testing.TB) []*Engine {
	t.Helper()
	var out []*Engine
	for _, js := range shortcutColumns {
		tpl, err := template.Parse([]byte(`{"columns": [` + js + `]}`))
		if err != nil {
			t.Fatal(err)
		}
		e, err := Compile(tpl)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func sameAnswer(t *testing.T, e *Engine, v string) {
	t.Helper()
	fast := e.cols[0].chk
	slow := withoutShortcuts(fast)
	got, gotF := fast.check(v, nil)
	want, wantF := slow.check(v, nil)
	if got != want || gotF != wantF {
		t.Fatalf("%s %q: shortcut gives (%q, %v), the full path (%q, %v)", e.t.Columns[0].Type, v, got, gotF, want, wantF)
	}
}

// dateShaped returns a value made of the bytes dates are written with, of
// the lengths of the formats above, often a valid date.
func dateShaped(r *rand.Rand) string {
	const alphabet = "0123456789-/.: TZ+APMapm"
	if r.IntN(2) == 0 {
		y, m, d := 1+r.IntN(9999), 1+r.IntN(13), 1+r.IntN(32)
		layouts := []func() []byte{
			func() []byte {
				return []byte{digit(y / 1000), digit(y / 100), digit(y / 10), digit(y), '-', digit(m / 10), digit(m), '-', digit(d / 10), digit(d)}
			},
			func() []byte {
				return []byte{digit(m / 10), digit(m), '/', digit(d / 10), digit(d), '/', digit(y / 1000), digit(y / 100), digit(y / 10), digit(y)}
			},
			func() []byte {
				return []byte{digit(d / 10), digit(d), ':', digit(m / 10), digit(m), ':', digit(y / 10), digit(y)}
			},
		}
		b := layouts[r.IntN(len(layouts))]()
		if r.IntN(4) == 0 { // one byte changed
			b[r.IntN(len(b))] = alphabet[r.IntN(len(alphabet))]
		}
		return string(b)
	}
	b := make([]byte, 5+r.IntN(20))
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

func digit(n int) byte { return byte('0' + n%10) }

func TestShortcutsAgree(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for _, e := range shortcutEngines(t) {
		for range 200_000 {
			sameAnswer(t, e, dateShaped(r))
		}
	}
}

// TestTextBoundsByLength: a text column's bounds are often settled by the
// byte length alone; the answer must be the code point count's.
func TestTextBoundsByLength(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	pieces := []string{"a", "é", "€", "😀"}
	for range 20_000 {
		var b strings.Builder
		for range r.IntN(12) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		v := b.String()
		c := &textCheck{min: r.IntN(8) - 1, max: r.IntN(12) - 1}
		c.fShort, c.fLong = fail(CodeTooShort), fail(CodeTooLong)
		n := utf8.RuneCountInString(v)
		want := (*failure)(nil)
		switch {
		case c.min >= 0 && n < c.min:
			want = c.fShort
		case c.max >= 0 && n > c.max:
			want = c.fLong
		}
		if out, got := c.check(v, nil); got != want || (got == nil && out != v) {
			t.Fatalf("%q (%d code points), min %d, max %d: got %v, want %v", v, n, c.min, c.max, got, want)
		}
	}
}

func FuzzShortcuts(f *testing.F) {
	for _, seed := range []string{"2024-02-29", "2023-02-29", "0000-01-01", "9999-12-31", "2024-1-01", "2024/01/01", "12/31/2024",
		"2024-01-01T10:00:00", "2024-01-01T24:00:00", "23:59:59", "9h05", "20240101", "45000", "1 Jan 2024"} {
		f.Add(seed)
	}
	engines := shortcutEngines(f)
	f.Fuzz(func(t *testing.T, v string) {
		for _, e := range engines {
			sameAnswer(t, e, v)
		}
	})
}
