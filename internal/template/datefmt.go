package template

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Token is one element of the date-format language (docs/templates.md).
type Token uint8

// The tokens of the date-format language. TokLiteral items carry their text.
const (
	TokLiteral Token = iota
	TokYYYY
	TokYY
	TokMMMM
	TokMMM
	TokMM
	TokM
	TokDD
	TokD
	TokHH
	TokH
	Tokhh
	Tokh
	Tokmm
	Tokss
	TokSSS
	TokA
	TokZ
)

// tokenNames is in matching order: longest first within a family.
var tokenNames = []struct {
	name string
	tok  Token
}{
	{"YYYY", TokYYYY}, {"YY", TokYY},
	{"MMMM", TokMMMM}, {"MMM", TokMMM}, {"MM", TokMM}, {"M", TokM},
	{"DD", TokDD}, {"D", TokD},
	{"HH", TokHH}, {"H", TokH}, {"hh", Tokhh}, {"h", Tokh},
	{"mm", Tokmm}, {"ss", Tokss}, {"SSS", TokSSS},
	{"A", TokA}, {"Z", TokZ},
}

// DateItem is a token or a literal of a compiled format.
type DateItem struct {
	Tok     Token
	Literal string
}

// DateFormat is a compiled date format: what the engine matches a value
// against, item by item, without backtracking.
type DateFormat struct {
	Source string
	Items  []DateItem
}

// Has reports whether the format uses the token.
func (f DateFormat) Has(t Token) bool {
	for _, it := range f.Items {
		if it.Tok == t {
			return true
		}
	}
	return false
}

// ParseDateFormat compiles a format of the date-format language and checks
// that it suits a column of type typ (date, datetime or time).
func ParseDateFormat(src string, typ Type) (DateFormat, error) {
	f := DateFormat{Source: src}
	seen := map[Token]bool{}
	for i := 0; i < len(src); {
		if src[i] == '[' {
			end := strings.IndexByte(src[i+1:], ']')
			if end < 0 {
				return f, fmt.Errorf("format %q: '[' without ']'", src)
			}
			f.addLiteral(src[i+1 : i+1+end])
			i += end + 2
			continue
		}
		matched := false
		for _, tn := range tokenNames {
			if strings.HasPrefix(src[i:], tn.name) {
				if seen[tn.tok] {
					return f, fmt.Errorf("format %q: token %s used twice", src, tn.name)
				}
				seen[tn.tok] = true
				f.Items = append(f.Items, DateItem{Tok: tn.tok})
				i += len(tn.name)
				matched = true
				break
			}
		}
		if matched {
			continue
		}
		r, size := utf8.DecodeRuneInString(src[i:])
		if unicode.IsLetter(r) {
			return f, fmt.Errorf("format %q: letter %q is not a token; put literal letters in [brackets]", src, r)
		}
		f.addLiteral(src[i : i+size])
		i += size
	}
	return f, checkFormatTokens(f, typ)
}

func (f *DateFormat) addLiteral(s string) {
	if s == "" {
		return
	}
	if n := len(f.Items); n > 0 && f.Items[n-1].Tok == TokLiteral {
		f.Items[n-1].Literal += s
		return
	}
	f.Items = append(f.Items, DateItem{Tok: TokLiteral, Literal: s})
}

func checkFormatTokens(f DateFormat, typ Type) error {
	hasAny := func(ts ...Token) bool {
		for _, t := range ts {
			if f.Has(t) {
				return true
			}
		}
		return false
	}
	year := hasAny(TokYYYY, TokYY)
	month := hasAny(TokMMMM, TokMMM, TokMM, TokM)
	day := hasAny(TokDD, TokD)
	hour := hasAny(TokHH, TokH, Tokhh, Tokh)
	anyDate := year || month || day
	anyTime := hour || hasAny(Tokmm, Tokss, TokSSS, TokA, TokZ)
	twelve := hasAny(Tokhh, Tokh)
	count := func(ts ...Token) int {
		n := 0
		for _, t := range ts {
			if f.Has(t) {
				n++
			}
		}
		return n
	}
	switch {
	case count(TokYYYY, TokYY) > 1 || count(TokMMMM, TokMMM, TokMM, TokM) > 1 || count(TokDD, TokD) > 1 || count(TokHH, TokH, Tokhh, Tokh) > 1:
		return fmt.Errorf("format %q: a field appears twice", f.Source)
	case twelve != f.Has(TokA):
		return fmt.Errorf("format %q: hh/h and A go together", f.Source)
	case f.Has(TokSSS) && !f.Has(Tokss):
		return fmt.Errorf("format %q: SSS needs ss", f.Source)
	case hasAny(Tokmm, Tokss, TokSSS) && !hour:
		return fmt.Errorf("format %q: minutes or seconds without an hour", f.Source)
	}
	switch typ {
	case Date:
		if !(year && month && day) || anyTime {
			return fmt.Errorf("format %q: a date format needs a year, a month and a day, and no time", f.Source)
		}
	case DateTime:
		if !(year && month && day && hour) {
			return fmt.Errorf("format %q: a datetime format needs a year, a month, a day and an hour", f.Source)
		}
	case Time:
		if !hour || anyDate || f.Has(TokZ) {
			return fmt.Errorf("format %q: a time format needs an hour and no date or zone", f.Source)
		}
	}
	return nil
}
