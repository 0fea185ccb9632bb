package parse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/intakehq/intake/internal/template"
)

// A streaming reader of delimited text with Papa Parse 5.7's semantics
// (papaparse.js Parser.parse), which the widget uses (docs/parsing.md, 6):
//
//   - records end at the one line break of the file, outside quotes;
//   - a field that starts with '"' is quoted; it closes at a '"' followed,
//     after whitespace only (dropped), by the delimiter or the line break,
//     or at a '"' that is the text's last character; '""' inside it is one
//     '"' once it closes; any other '"' is text; a quoted field that never
//     closes runs to the end of the text, kept as written (no '""' undone);
//   - an unquoted field runs to the first delimiter or line break;
//   - field text is kept exactly (a CR LF inside quotes stays CR LF).
//
// Memory: one window of the text, grown only as far as one field (bounded
// by MaxCellBytes) and its lookahead need.

// fieldEnd says what ended a field.
type fieldEnd int

const (
	endDelimiter fieldEnd = iota
	endLine
	endText
)

const windowSize = 64 << 10

type csvScanner struct {
	src   io.Reader
	buf   []byte
	mark  int // start of the field being read: kept when the window moves
	pos   int
	end   int
	eof   bool
	err   error
	delim []byte
	nl    []byte
	// special marks the first bytes of the delimiter and the line break.
	special  [256]bool
	maxCell  int
	maxCols  int
	done     bool
	maxLimit int
	// rec holds the current record's text, ends each field's end in it.
	rec  []byte
	ends []int
	row  []string
}

func newCSVScanner(src io.Reader, size int64, delimiter, linebreak string, l Limits) *csvScanner {
	s := &csvScanner{
		src:     src,
		buf:     make([]byte, min(windowSize, max(512, 2*size))),
		delim:   []byte(delimiter),
		nl:      []byte(linebreak),
		maxCell: int(l.MaxCellBytes),
		maxCols: int(l.MaxColumns),
	}
	s.maxLimit = s.maxCell + windowSize
	s.special[s.delim[0]] = true
	s.special[s.nl[0]] = true
	return s
}

// fill reads more text into the window, moving the current field to its
// start; false at the end of the text (or on a read error, kept in err).
func (s *csvScanner) fill() bool {
	if s.eof {
		return false
	}
	if s.mark > 0 {
		n := copy(s.buf, s.buf[s.mark:s.end])
		s.pos -= s.mark
		s.end = n
		s.mark = 0
	}
	if s.end == len(s.buf) {
		if len(s.buf) >= s.maxLimit {
			s.err = fmt.Errorf("%w: a cell is longer than %d bytes", ErrTooMuchData, s.maxCell)
			return false
		}
		grown := make([]byte, min(2*len(s.buf), s.maxLimit))
		copy(grown, s.buf[:s.end])
		s.buf = grown
	}
	for {
		n, err := s.src.Read(s.buf[s.end:])
		s.end += n
		if err != nil {
			s.eof = true
			if !errors.Is(err, io.EOF) {
				s.err = fmt.Errorf("read the file: %w", err)
			}
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
}

// have makes at least n bytes available at offset off from mark; false
// when the text ends first.
func (s *csvScanner) have(off, n int) bool {
	for s.mark+off+n > s.end {
		if !s.fill() {
			return false
		}
	}
	return true
}

func (s *csvScanner) at(off int, b []byte) bool {
	return s.have(off, len(b)) && bytes.Equal(s.buf[s.mark+off:s.mark+off+len(b)], b)
}

func (s *csvScanner) checkCell() error {
	if s.err != nil {
		return s.err
	}
	if s.pos-s.mark > s.maxCell {
		return fmt.Errorf("%w: a cell is longer than %d bytes", ErrTooMuchData, s.maxCell)
	}
	return nil
}

// record returns the next record, or io.EOF when the text has ended: the
// empty text after a final line break is no record. The record's cells
// are slices of one string, as encoding/csv makes them.
func (s *csvScanner) record() ([]string, error) {
	if s.done {
		return nil, io.EOF
	}
	s.mark = s.pos
	if !s.have(0, 1) {
		s.done = true
		if s.err != nil {
			return nil, s.err
		}
		return nil, io.EOF
	}
	s.rec, s.ends = s.rec[:0], s.ends[:0]
	if row, ok := s.plainRecord(); ok {
		return row, nil
	}
	return s.fieldRecord()
}

// fieldRecord reads the rest of a record field by field, from the field
// at pos (which is there), after the fields already in rec and ends.
func (s *csvScanner) fieldRecord() ([]string, error) {
	for {
		end, err := s.field()
		if err != nil {
			return nil, err
		}
		s.ends = append(s.ends, len(s.rec))
		if len(s.ends) > s.maxCols {
			return nil, fmt.Errorf("%w: more than %d", ErrTooManyColumns, s.maxCols)
		}
		if end == endDelimiter {
			continue
		}
		if end == endText {
			s.done = true
			if s.err != nil {
				return nil, s.err
			}
		}
		return s.cut(string(s.rec), 0), nil
	}
}

// cut slices a record's text into its cells, each ending at an offset of
// ends and the next starting skip bytes after it (past a delimiter the
// text still holds, or none), into the row the scanner reuses.
func (s *csvScanner) cut(text string, skip int) []string {
	row := s.row[:0]
	from := 0
	for _, to := range s.ends {
		row = append(row, text[from:to])
		from = to + skip
	}
	s.row = row
	return row
}

// plainRecord reads the next record the common way, its fields unquoted
// and in the window, with a one-byte delimiter: bytes are scanned once and
// the record's text is copied once, rather than field by field into rec.
// At a field it does not read (quoted, past the window, or near a bound:
// the field-by-field path then names it) it hands over: the fields read go
// into rec and ends, pos is at that field, and it reports false.
func (s *csvScanner) plainRecord() ([]string, bool) {
	start := s.pos
	if len(s.delim) != 1 {
		return nil, false
	}
	d, nl, buf := s.delim[0], s.nl, s.buf[:s.end]
	cell := start // where the current field starts
	for i := start; i < len(buf); {
		if i == cell && buf[i] == '"' {
			break
		}
		c := buf[i]
		if !s.special[c] {
			i++
			continue
		}
		if c != d && !bytes.HasPrefix(buf[i:], nl) {
			// The line break's first byte without the rest, text; or the
			// rest is past the window, which this byte ends: handed over.
			i++
			continue
		}
		if i-cell > s.maxCell || len(s.ends) >= s.maxCols {
			break
		}
		s.ends = append(s.ends, i-start)
		if c == d {
			i++
			cell = i
			continue
		}
		s.pos = i + len(nl)
		return s.cut(string(buf[start:i]), 1), true
	}
	from := 0
	for k, to := range s.ends {
		s.rec = append(s.rec, buf[start+from:start+to]...)
		s.ends[k] = len(s.rec)
		from = to + 1
	}
	s.pos, s.mark = cell, cell
	return nil, false
}

func (s *csvScanner) field() (fieldEnd, error) {
	s.mark = s.pos
	if !s.have(0, 1) {
		return endText, s.err
	}
	if s.buf[s.pos] == '"' {
		return s.quoted()
	}
	for {
		i := s.pos
		for i < s.end && !s.special[s.buf[i]] {
			i++
		}
		s.pos = i
		if err := s.checkCell(); err != nil {
			return 0, err
		}
		if i == s.end {
			if !s.fill() {
				if s.err != nil {
					return 0, s.err
				}
				s.rec = append(s.rec, s.buf[s.mark:s.pos]...)
				return endText, nil
			}
			continue
		}
		off := s.pos - s.mark
		if s.at(off, s.delim) {
			s.rec = append(s.rec, s.buf[s.mark:s.mark+off]...)
			s.pos = s.mark + off + len(s.delim)
			return endDelimiter, nil
		}
		if s.at(off, s.nl) {
			s.rec = append(s.rec, s.buf[s.mark:s.mark+off]...)
			s.pos = s.mark + off + len(s.nl)
			return endLine, nil
		}
		s.pos = s.mark + off + 1
	}
}

// quoted reads a quoted field; pos is at its opening quote. Offsets are
// kept from mark, which the window's moves keep in place.
func (s *csvScanner) quoted() (fieldEnd, error) {
	s.pos++
	s.mark = s.pos
	for {
		q := bytes.IndexByte(s.buf[s.pos:s.end], '"')
		if q < 0 {
			s.pos = s.end
			if err := s.checkCell(); err != nil {
				return 0, err
			}
			if !s.fill() {
				if s.err != nil {
					return 0, s.err
				}
				// Never closed: the rest of the text, as written.
				s.rec = append(s.rec, s.buf[s.mark:s.pos]...)
				return endText, nil
			}
			continue
		}
		qo := s.pos + q - s.mark
		s.pos = s.mark + qo
		if err := s.checkCell(); err != nil {
			return 0, err
		}
		if !s.have(qo, 2) {
			if s.err != nil {
				return 0, s.err
			}
			// A closing quote that is the text's last character.
			s.rec = appendUnescaped(s.rec, s.buf[s.mark:s.mark+qo])
			s.pos = s.mark + qo + 1
			return endText, nil
		}
		if s.buf[s.mark+qo+1] == '"' {
			s.pos = s.mark + qo + 2
			continue
		}
		// Whitespace up to the delimiter or the line break closes it.
		k := qo + 1
		for {
			if s.at(k, s.delim) {
				s.rec = appendUnescaped(s.rec, s.buf[s.mark:s.mark+qo])
				s.pos = s.mark + k + len(s.delim)
				return endDelimiter, nil
			}
			if s.at(k, s.nl) {
				s.rec = appendUnescaped(s.rec, s.buf[s.mark:s.mark+qo])
				s.pos = s.mark + k + len(s.nl)
				return endLine, nil
			}
			if k-qo > s.maxCell {
				return 0, fmt.Errorf("%w: a cell is longer than %d bytes", ErrTooMuchData, s.maxCell)
			}
			s.have(k, utf8.UTFMax)
			if s.mark+k >= s.end {
				break
			}
			r, size := utf8.DecodeRune(s.buf[s.mark+k : s.end])
			if !template.IsSpace(r) {
				break
			}
			k += size
		}
		if s.err != nil {
			return 0, s.err
		}
		// A quote inside the field's text.
		s.pos = s.mark + qo + 1
	}
}

// appendUnescaped appends raw with '""' undone as Papa Parse undoes it (a
// global replace, left to right).
func appendUnescaped(dst, raw []byte) []byte {
	for {
		i := bytes.Index(raw, []byte(`""`))
		if i < 0 {
			return append(dst, raw...)
		}
		dst = append(dst, raw[:i+1]...)
		raw = raw[i+2:]
	}
}

// blank reports a row whose every cell is empty after trimming.
func blank(row []string) bool {
	for _, c := range row {
		if c != "" && template.Trim(c) != "" {
			return false
		}
	}
	return true
}
