package parse

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// The hand-written readers held to the standard library where their
// semantics overlap (the package doc says where they do not).

// On RFC 4180 text as encoding/csv writes it, without CR in fields (which
// encoding/csv turns into LF and Papa Parse keeps), both read the same
// records, blank ones aside (the widget drops them).
func TestCSVMatchesEncodingCSV(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(4180, 1))
	alphabet := []string{"a", "b", " ", ",", "\"", "\n", "é", "漢", ";", "\t", "x y", "\"\"", "😀"}
	for i := range 3000 {
		var records [][]string
		width := 1 + rng.IntN(5)
		for range 1 + rng.IntN(8) {
			rec := make([]string, width)
			for c := range rec {
				var b strings.Builder
				for range rng.IntN(6) {
					b.WriteString(alphabet[rng.IntN(len(alphabet))])
				}
				rec[c] = b.String()
			}
			records = append(records, rec)
		}
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		w.WriteAll(records)
		data := buf.Bytes()

		cr := csv.NewReader(bytes.NewReader(data))
		cr.FieldsPerRecord = -1
		want, err := cr.ReadAll()
		if err != nil {
			t.Fatalf("case %d: encoding/csv: %v", i, err)
		}
		want = slices.DeleteFunc(want, blank)
		got, _, _, err := readAll(data, "oracle.csv", Options{Delimiter: ","})
		if len(want) == 0 && errors.Is(err, ErrEmpty) {
			continue
		}
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("case %d: %q\nparse %q\nencoding/csv %q", i, data, got, want)
		}
	}
}

// xmlEvents is a scanner's reading of a document, as comparable text:
// elements by local name with their attributes, the text between tags.
func scannerEvents(doc []byte, attrNames []string) ([]string, error) {
	s := newXMLScanner(bytes.NewReader(doc))
	var events []string
	var text strings.Builder
	flush := func() {
		if text.Len() > 0 {
			events = append(events, "text "+text.String())
			text.Reset()
		}
	}
	var t token
	for {
		err := s.next(&t)
		if errors.Is(err, io.EOF) {
			flush()
			return events, nil
		}
		if err != nil {
			return nil, err
		}
		switch t.kind {
		case tokText:
			text.Write(t.text)
		case tokOpen:
			flush()
			e := "open " + string(t.name)
			for _, a := range attrNames {
				if v, ok := attr(t.attrs, a); ok {
					e += fmt.Sprintf(" %s=%q", a, v)
				}
			}
			events = append(events, e)
			if t.selfClosing {
				events = append(events, "close "+string(t.name))
			}
		case tokClose:
			flush()
			events = append(events, "close "+string(t.name))
		}
	}
}

func stdlibEvents(doc []byte, attrNames []string) ([]string, error) {
	d := xml.NewDecoder(bytes.NewReader(doc))
	var events []string
	var text strings.Builder
	flush := func() {
		if text.Len() > 0 {
			events = append(events, "text "+text.String())
			text.Reset()
		}
	}
	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			flush()
			return events, nil
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.CharData:
			text.Write(t)
		case xml.StartElement:
			flush()
			e := "open " + t.Name.Local
			for _, a := range attrNames {
				for _, at := range t.Attr {
					if at.Name.Local == a {
						e += fmt.Sprintf(" %s=%q", a, at.Value)
						break
					}
				}
			}
			events = append(events, e)
		case xml.EndElement:
			flush()
			events = append(events, "close "+t.Name.Local)
		}
	}
}

// On well-formed documents without a DTD, the scanner reads what
// encoding/xml reads: names, attribute values, text with its references
// and line ends, CDATA; comments and processing instructions skipped.
func TestXMLScannerMatchesEncodingXML(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 0x3c))
	names := []string{"row", "c", "v", "x:t", "is", "si"}
	attrNames := []string{"r", "t", "s"}
	texts := []string{"a", " ", "&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#x41;", "&#66;", "\r\n", "\r", "\n", "é", "漢", "<![CDATA[<x>&amp;\r\n]]>", "<!-- c -->", "<?pi x?>", "]", "&#13;"}
	values := []string{"A1", "s", "1", "a&amp;b", "&lt;", "'", "&#x20;", "x y"}
	for i := range 3000 {
		var b strings.Builder
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>`)
		var gen func(depth int)
		gen = func(depth int) {
			name := names[rng.IntN(len(names))]
			b.WriteString("<" + name)
			for _, a := range attrNames {
				if rng.IntN(2) == 0 {
					q := `"`
					if rng.IntN(3) == 0 {
						q = "'"
					}
					v := values[rng.IntN(len(values))]
					if q == "'" && v == "'" {
						v = "q"
					}
					b.WriteString(" " + a + "=" + q + v + q)
				}
			}
			if depth > 4 || rng.IntN(4) == 0 {
				b.WriteString("/>")
				return
			}
			b.WriteString(">")
			for range rng.IntN(4) {
				if rng.IntN(2) == 0 {
					b.WriteString(texts[rng.IntN(len(texts))])
				} else {
					gen(depth + 1)
				}
			}
			b.WriteString("</" + name + ">")
		}
		gen(0)
		doc := []byte(b.String())
		want, err := stdlibEvents(doc, attrNames)
		if err != nil {
			t.Fatalf("case %d: encoding/xml: %v\n%s", i, err, doc)
		}
		got, err := scannerEvents(doc, attrNames)
		if err != nil {
			t.Fatalf("case %d: scanner: %v\n%s", i, err, doc)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("case %d: %s\nscanner %q\nencoding/xml %q", i, doc, got, want)
		}
	}
}

// The scanner's plain path (a record whole in the window, unquoted fields,
// a one-byte delimiter) reads what its field-by-field path reads, on text
// of every shape the plain path must hand over: quotes at and after a
// field's start, CR, LF and CR LF against each line break, multi-byte
// characters, long cells near the cell bound, records across the window's
// end, the text's end without a line break.
func TestPlainRecordsAsFieldByField(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(16, 4))
	alphabet := []string{"a", "bc", " ", ",", ";", "\t", "\"", "\"\"", "\r", "\n", "\r\n", "é", "😀", "x\"y", strings.Repeat("z", 40)}
	all := func(text, delim, nl string, fieldOnly bool) ([][]string, error) {
		l := Limits{MaxCellBytes: 64, MaxColumns: 12}
		s := newCSVScanner(strings.NewReader(text), 0, delim, nl, l.withDefaults())
		var out [][]string
		for {
			var row []string
			var err error
			if fieldOnly {
				s.mark = s.pos
				if s.done || !s.have(0, 1) {
					return out, s.err
				}
				s.rec, s.ends = s.rec[:0], s.ends[:0]
				row, err = s.fieldRecord()
			} else if row, err = s.record(); errors.Is(err, io.EOF) {
				return out, nil
			}
			if err != nil {
				return out, err
			}
			out = append(out, slices.Clone(row))
		}
	}
	for i := range 5000 {
		var b strings.Builder
		for range rng.IntN(400) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		text := b.String()
		delim := []string{",", ";", "\t", "||"}[rng.IntN(4)]
		nl := []string{"\n", "\r\n", "\r"}[rng.IntN(3)]
		want, werr := all(text, delim, nl, true)
		got, gerr := all(text, delim, nl, false)
		if !slices.EqualFunc(got, want, slices.Equal) || (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) {
			t.Fatalf("case %d (%q, %q) %q:\nplain %q %v\nfield %q %v", i, delim, nl, text, got, gerr, want, werr)
		}
	}
}
