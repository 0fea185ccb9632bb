package rows

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// The plaintext of a sealed chunk: a compact binary form of its rows and of
// their validation errors (codes and rule parameters only), faster to write
// and read than JSON on the ingest path.
//
//	"IKR1" uvarint(width) uvarint(rows)
//	per cell: uvarint(0) for null, or uvarint(len+1) and the bytes
//	uvarint(errors); per error: uvarint(row offset) uvarint(column) str(code)
//	  uvarint(params) and per param str(name) str(value)
//
// A chunk from which ingest dropped blank rows starts "IKR2" instead and
// ends with where they were in the chunk as sent, so that the stored rows
// keep their row numbers: uvarint(blank rows), then the offset of the
// first and, for each next one, its distance from the previous minus one.
// A chunk without blank rows is written as IKR1, byte for byte as before,
// so a replica of the previous release still reads it.
const (
	rowsMagic       = "IKR1"
	rowsMagicBlanks = "IKR2"
)

// hasRowsMagic reports whether b starts like an encoded chunk, and whether
// it ends with the blank rows' offsets.
func hasRowsMagic(b []byte) (ok, blanks bool) {
	if len(b) < len(rowsMagic) {
		return false, false
	}
	switch string(b[:len(rowsMagic)]) {
	case rowsMagic:
		return true, false
	case rowsMagicBlanks:
		return true, true
	}
	return false, false
}

// sentOffsets maps each of n stored rows to its offset in the chunk as
// sent, given the offsets of the blank rows dropped (ascending); nil when
// none was dropped (the identity).
func sentOffsets(n int, blanks []int) []int {
	if len(blanks) == 0 {
		return nil
	}
	src := make([]int, 0, n)
	for off, b := 0, 0; len(src) < n; off++ {
		if b < len(blanks) && blanks[b] == off {
			b++
			continue
		}
		src = append(src, off)
	}
	return src
}

// StoredError is a CellError inside a chunk: row relative to the chunk,
// column by index in the template's row order.
type StoredError struct {
	Row, Col int
	Code     string
	Params   map[string]string
}

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// Encode appends rows (each of width cells), their errors and the offsets
// of the blank rows dropped from the chunk as sent (ascending; none for a
// chunk without) to dst in the at-rest format, ready to be sealed. It is
// the only writer of that format.
func Encode(dst []byte, width int, rows [][]*string, errs []StoredError, blanks []int) []byte {
	size := len(rowsMagic) + 20 + 32*len(errs) + 16 + 3*len(blanks) // 16: room for a seal's tag
	for _, r := range rows {
		for _, v := range r {
			size += 3
			if v != nil {
				size += len(*v)
			}
		}
	}
	dst = slices.Grow(dst, size)
	if len(blanks) > 0 {
		dst = append(dst, rowsMagicBlanks...)
	} else {
		dst = append(dst, rowsMagic...)
	}
	dst = binary.AppendUvarint(dst, uint64(width))
	dst = binary.AppendUvarint(dst, uint64(len(rows)))
	for _, r := range rows {
		for _, v := range r {
			if v == nil {
				dst = append(dst, 0)
				continue
			}
			dst = binary.AppendUvarint(dst, uint64(len(*v))+1)
			dst = append(dst, *v...)
		}
	}
	dst = binary.AppendUvarint(dst, uint64(len(errs)))
	for _, e := range errs {
		dst = binary.AppendUvarint(dst, uint64(e.Row))
		dst = binary.AppendUvarint(dst, uint64(e.Col))
		dst = appendStr(dst, e.Code)
		dst = binary.AppendUvarint(dst, uint64(len(e.Params)))
		for k, v := range e.Params {
			dst = appendStr(dst, k)
			dst = appendStr(dst, v)
		}
	}
	if len(blanks) > 0 {
		dst = binary.AppendUvarint(dst, uint64(len(blanks)))
		prev := -1
		for _, b := range blanks {
			dst = binary.AppendUvarint(dst, uint64(b-prev-1))
			prev = b
		}
	}
	return dst
}

var errCorrupt = errors.New("stored rows are corrupt")

type reader struct {
	b []byte
	i int
}

func (r *reader) uvarint() (uint64, error) {
	v, n := binary.Uvarint(r.b[r.i:])
	if n <= 0 {
		return 0, errCorrupt
	}
	r.i += n
	return v, nil
}

func (r *reader) bytes(n uint64) ([]byte, error) {
	if n > uint64(len(r.b)-r.i) {
		return nil, errCorrupt
	}
	v := r.b[r.i : r.i+int(n)]
	r.i += int(n)
	return v, nil
}

func (r *reader) str() (string, error) {
	n, err := r.uvarint()
	if err != nil {
		return "", err
	}
	b, err := r.bytes(n)
	return string(b), err
}

// decode reads what Encode wrote, errors and blank rows included.
func decode(b []byte) (width int, rows [][]*string, errs []StoredError, blanks []int, err error) {
	ok, hasBlanks := hasRowsMagic(b)
	if !ok {
		return 0, nil, nil, nil, errCorrupt
	}
	r := &reader{b: b, i: len(rowsMagic)}
	w, err := r.uvarint()
	if err != nil {
		return 0, nil, nil, nil, err
	}
	n, err := r.uvarint()
	if err != nil || w == 0 || w > 1<<16 || n*w > uint64(len(b)) {
		return 0, nil, nil, nil, errCorrupt
	}
	width = int(w)
	cells := make([]*string, int(n)*width)
	for i := range cells {
		l, err := r.uvarint()
		if err != nil {
			return 0, nil, nil, nil, err
		}
		if l == 0 {
			continue
		}
		v, err := r.bytes(l - 1)
		if err != nil {
			return 0, nil, nil, nil, err
		}
		s := string(v)
		cells[i] = &s
	}
	rows = make([][]*string, n)
	for i := range rows {
		rows[i] = cells[i*width : (i+1)*width : (i+1)*width]
	}
	ne, err := r.uvarint()
	if err != nil || ne > uint64(len(b)) {
		return 0, nil, nil, nil, errCorrupt
	}
	errs = make([]StoredError, 0, ne)
	for range ne {
		var e StoredError
		row, err1 := r.uvarint()
		col, err2 := r.uvarint()
		code, err3 := r.str()
		np, err4 := r.uvarint()
		if err := errors.Join(err1, err2, err3, err4); err != nil || row >= n || col >= w || np > uint64(len(b)) {
			return 0, nil, nil, nil, errCorrupt
		}
		e.Row, e.Col, e.Code = int(row), int(col), code
		if np > 0 {
			e.Params = make(map[string]string, np)
		}
		for range np {
			k, err1 := r.str()
			v, err2 := r.str()
			if err := errors.Join(err1, err2); err != nil {
				return 0, nil, nil, nil, err
			}
			e.Params[k] = v
		}
		errs = append(errs, e)
	}
	if hasBlanks {
		nb, err := r.uvarint()
		if err != nil || nb == 0 || nb > uint64(len(b)) {
			return 0, nil, nil, nil, errCorrupt
		}
		blanks = make([]int, 0, nb)
		prev := int64(-1)
		for range nb {
			d, err := r.uvarint()
			if err != nil || d > uint64(len(b)) {
				return 0, nil, nil, nil, errCorrupt
			}
			prev += int64(d) + 1
			if prev >= int64(n)+int64(nb) {
				return 0, nil, nil, nil, errCorrupt
			}
			blanks = append(blanks, int(prev))
		}
	}
	if r.i != len(b) {
		return 0, nil, nil, nil, fmt.Errorf("%w: %d trailing bytes", errCorrupt, len(b)-r.i)
	}
	return width, rows, errs, blanks, nil
}
