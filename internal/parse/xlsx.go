package parse

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// The XLSX reader of xlsx.ts: workbook parts read for their structure,
// shared strings held (the cells refer to them by index), the chosen sheet
// streamed row by row.

// maxSharedBytes bounds the text of all shared strings, which a sheet's
// cells refer to by index and so must be held.
const maxSharedBytes = 512 << 20

type sheetRef struct{ name, path string }

type workbook struct {
	zip      *archive
	sheets   []sheetRef
	date1904 bool
	shared   []string
	kinds    []dateKind
	limits   Limits
}

type rel struct{ typ, target string }

// scanPart runs fn on every token of a part; a missing part is no error.
func (wb *workbook) scanPart(name string, b *budget, limit int64, fn func(*token) error) (bool, error) {
	rc, err := wb.zip.open(name, b, limit)
	if err != nil || rc == nil {
		return false, err
	}
	defer rc.Close()
	s := newXMLScanner(rc)
	var t token
	for {
		err := s.next(&t)
		if errors.Is(err, io.EOF) {
			return true, nil
		}
		if err != nil {
			return true, fmt.Errorf("read %s: %w", name, err)
		}
		if err := fn(&t); err != nil {
			return true, err
		}
	}
}

func resolve(base, target string) string {
	if strings.HasPrefix(target, "/") {
		return target[1:]
	}
	parts := strings.Split(base, "/")
	parts = parts[:len(parts)-1]
	for _, part := range strings.Split(target, "/") {
		switch part {
		case "..":
			if len(parts) > 0 {
				parts = parts[:len(parts)-1]
			}
		case ".":
		default:
			parts = append(parts, part)
		}
	}
	return strings.Join(parts, "/")
}

func relsPath(part string) string {
	slash := strings.LastIndexByte(part, '/')
	return part[:slash+1] + "_rels/" + part[slash+1:] + ".rels"
}

func (wb *workbook) relationships(part string, b *budget) (map[string]rel, error) {
	rels := map[string]rel{}
	_, err := wb.scanPart(relsPath(part), b, maxPartBytes, func(t *token) error {
		if t.kind != tokOpen || string(t.name) != "Relationship" {
			return nil
		}
		id, _ := attr(t.attrs, "Id")
		target, _ := attr(t.attrs, "Target")
		mode, _ := attr(t.attrs, "TargetMode")
		if id != "" && target != "" && mode != "External" {
			typ, _ := attr(t.attrs, "Type")
			rels[id] = rel{typ: typ, target: resolve(part, target)}
		}
		return nil
	})
	return rels, err
}

func openWorkbook(r io.ReaderAt, size int64, l Limits) (*workbook, error) {
	a, err := openArchive(r, size)
	if err != nil {
		return nil, err
	}
	wb := &workbook{zip: a, limits: l}
	b := newBudget()
	root, err := wb.relationships("", b)
	if err != nil {
		return nil, err
	}
	workbookPath := "xl/workbook.xml"
	for _, r := range root {
		if strings.HasSuffix(r.typ, "/officeDocument") {
			workbookPath = r.target
		}
	}
	rels, err := wb.relationships(workbookPath, b)
	if err != nil {
		return nil, err
	}
	found, err := wb.scanPart(workbookPath, b, maxPartBytes, func(t *token) error {
		if t.kind != tokOpen {
			return nil
		}
		switch string(t.name) {
		case "workbookPr":
			if v, ok := attr(t.attrs, "date1904"); ok {
				wb.date1904 = v == "1" || v == "true"
			}
		case "sheet":
			id, _ := attr(t.attrs, "id")
			if rel, ok := rels[id]; ok && strings.HasSuffix(rel.typ, "/worksheet") {
				name, ok := attr(t.attrs, "name")
				if !ok {
					name = rel.target
				}
				wb.sheets = append(wb.sheets, sheetRef{name: name, path: rel.target})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !found {
		if _, ok := a.entries["EncryptedPackage"]; ok {
			return nil, fmt.Errorf("%w: the workbook is encrypted", ErrEncrypted)
		}
		return nil, fmt.Errorf("%w: no workbook part", ErrNotWorkbook)
	}
	var sharedPath, stylesPath string
	for _, r := range rels {
		switch {
		case strings.HasSuffix(r.typ, "/sharedStrings"):
			sharedPath = r.target
		case strings.HasSuffix(r.typ, "/styles"):
			stylesPath = r.target
		}
	}
	if err := wb.readShared(sharedPath, b); err != nil {
		return nil, err
	}
	if err := wb.readStyles(stylesPath, b); err != nil {
		return nil, err
	}
	return wb, nil
}

func (wb *workbook) readShared(path string, b *budget) error {
	if path == "" {
		return nil
	}
	var current []byte
	inText := false
	phonetic := 0
	total := 0
	_, err := wb.scanPart(path, b, 0, func(t *token) error {
		switch t.kind {
		case tokOpen:
			switch string(t.name) {
			case "si":
				current = current[:0]
				if t.selfClosing {
					wb.shared = append(wb.shared, "")
				}
			case "t":
				if !t.selfClosing && phonetic == 0 {
					inText = true
				}
			case "rPh":
				if !t.selfClosing {
					phonetic++
				}
			}
		case tokClose:
			switch string(t.name) {
			case "t":
				inText = false
			case "rPh":
				phonetic--
			case "si":
				total += len(current)
				if total > maxSharedBytes {
					return fmt.Errorf("%w: shared strings longer than %d bytes", ErrTooMuchData, maxSharedBytes)
				}
				wb.shared = append(wb.shared, string(current))
			}
		case tokText:
			if inText {
				current = append(current, t.text...)
				if int64(len(current)) > wb.limits.MaxCellBytes {
					return fmt.Errorf("%w: a shared string is longer than %d bytes", ErrTooMuchData, wb.limits.MaxCellBytes)
				}
			}
		}
		return nil
	})
	return err
}

func (wb *workbook) readStyles(path string, b *budget) error {
	if path == "" {
		return nil
	}
	custom := map[int]string{}
	inCellXfs := false
	_, err := wb.scanPart(path, b, maxPartBytes, func(t *token) error {
		switch t.kind {
		case tokOpen:
			switch string(t.name) {
			case "numFmt":
				id, _ := attr(t.attrs, "numFmtId")
				code, _ := attr(t.attrs, "formatCode")
				if n, ok := jsInt(id); ok {
					custom[n] = code
				}
			case "cellXfs":
				if !t.selfClosing {
					inCellXfs = true
				}
			case "xf":
				if inCellXfs {
					id, ok := attr(t.attrs, "numFmtId")
					if !ok {
						id = "0"
					}
					kind := kindNone
					if n, ok := jsInt(id); ok {
						code, isCustom := custom[n]
						kind = kindOf(n, code, isCustom)
					}
					wb.kinds = append(wb.kinds, kind)
				}
			}
		case tokClose:
			if string(t.name) == "cellXfs" {
				inCellXfs = false
			}
		}
		return nil
	})
	return err
}

// jsInt is Number(text) when that is an integer that fits an int.
func jsInt(text string) (int, bool) {
	if n, err := strconv.Atoi(text); err == nil && text[0] != '+' {
		return n, true
	}
	f, ok := jsNumber(text)
	if !ok || f != float64(int64(f)) || f > 1<<53 || f < -(1<<53) {
		return 0, false
	}
	return int(f), true
}

// lastSerial is 9999-12-31 by date system; past it (and below 0) Excel
// shows ####.
func lastSerial(date1904 bool) float64 {
	if date1904 {
		return 2_957_003
	}
	return 2_958_465
}

// numberCell writes a number cell's value as its number format shows it.
func numberCell(value string, kind dateKind, date1904 bool) string {
	if kind == kindNone || value == "" {
		return generalNumber(value)
	}
	serial, ok := jsNumber(value)
	if !ok || serial < 0 || serial >= lastSerial(date1904)+1 {
		return generalNumber(value)
	}
	return serialToISO(serial, date1904, kind)
}

// columnIndex is the 0-based column of a cell reference; maxColumns for
// any past XFD (the letters are not read further), -1 without letters.
func columnIndex(ref []byte, maxColumns int) int {
	n := 0
	for _, c := range ref {
		if c < 'A' || c > 'Z' {
			break
		}
		n = n*26 + int(c-'A'+1)
		if n > maxColumns {
			return maxColumns
		}
	}
	return n - 1
}

// Attribute names a sheet's cells are read by, once.
var attrR, attrT, attrS = []byte("r"), []byte("t"), []byte("s")

// sheetReader streams one sheet's rows (xlsx.ts readSheet).
type sheetReader struct {
	wb       *workbook
	rc       io.Closer
	scan     *xmlScanner
	tok      token
	row      []string
	col      int
	typ      string
	style    int
	value    []byte
	inValue  bool
	inInline bool
	rowNum   int
	lastKept int
	cells    int64
	skipped  int64
	done     bool
	// width is the widest row so far, the capacity a row starts with.
	width int
}

func (wb *workbook) openSheet(i int) (*sheetReader, error) {
	rc, err := wb.zip.open(wb.sheets[i].path, newBudget(), 0)
	if err != nil {
		return nil, err
	}
	if rc == nil {
		return nil, fmt.Errorf("%w: a sheet part is missing", ErrNotWorkbook)
	}
	return &sheetReader{wb: wb, rc: rc, scan: newXMLScanner(rc)}, nil
}

func (s *sheetReader) Close() error { return s.rc.Close() }

func (s *sheetReader) tooManyColumns() error {
	return fmt.Errorf("%w: a cell lies past column %d", ErrTooManyColumns, s.wb.limits.MaxColumns)
}

// next returns the next row that is not blank, or io.EOF.
func (s *sheetReader) next() ([]string, error) {
	if s.done {
		return nil, io.EOF
	}
	maxCols := int(s.wb.limits.MaxColumns)
	t := &s.tok
	for {
		err := s.scan.next(t)
		if errors.Is(err, io.EOF) {
			s.done = true
			return nil, io.EOF
		}
		if err != nil {
			return nil, err
		}
		switch t.kind {
		case tokOpen:
			switch string(t.name) {
			case "row":
				s.row = make([]string, 0, s.width)
				s.col = 0
				r := -1
				if v, ok := attrBytes(t.attrs, attrR); ok {
					if n, ok := jsInt(string(v)); ok {
						r = n
					}
				} else {
					r = 0 // Number("") is 0.
				}
				if r > s.rowNum {
					s.rowNum = r
				} else {
					s.rowNum++
				}
			case "c":
				if ref, ok := attrBytes(t.attrs, attrR); ok && len(ref) > 0 {
					s.col = columnIndex(ref, maxCols)
				}
				if s.col >= maxCols {
					return nil, s.tooManyColumns()
				}
				s.typ = "n"
				if v, ok := attrBytes(t.attrs, attrT); ok {
					s.typ = string(v)
				}
				s.style = 0
				if v, ok := attrBytes(t.attrs, attrS); ok {
					if n, ok := jsInt(string(v)); ok {
						s.style = n
					} else {
						s.style = -1
					}
				}
				s.value = s.value[:0]
				if t.selfClosing {
					s.col++
				}
			case "v":
				s.inValue = !t.selfClosing
			case "is":
				s.inInline = true
			case "t":
				if s.inInline && !t.selfClosing {
					s.inValue = true
				}
			}
		case tokClose:
			switch string(t.name) {
			case "v", "t":
				s.inValue = false
			case "is":
				s.inInline = false
			case "c":
				if err := s.cell(maxCols); err != nil {
					return nil, err
				}
			case "row":
				if !blank(s.row) {
					s.skipped += int64(s.rowNum - s.lastKept - 1)
					s.lastKept = s.rowNum
					row := s.row
					s.row = nil
					s.width = max(s.width, len(row))
					return row, nil
				}
			}
		case tokText:
			if s.inValue {
				s.value = append(s.value, t.text...)
				if int64(len(s.value)) > s.wb.limits.MaxCellBytes {
					return nil, fmt.Errorf("%w: a cell is longer than %d bytes", ErrTooMuchData, s.wb.limits.MaxCellBytes)
				}
			}
		}
	}
}

// cell ends a cell: its value as the widget shows it, at its column.
func (s *sheetReader) cell(maxCols int) error {
	kind := kindNone
	if s.style >= 0 && s.style < len(s.wb.kinds) {
		kind = s.wb.kinds[s.style]
	}
	var out string
	if s.typ == "s" {
		// A shared string's index: no string of the digits is made.
		n, ok := digits(s.value)
		if !ok {
			n, ok = jsInt(string(s.value))
		}
		if ok && n >= 0 && n < len(s.wb.shared) {
			out = s.wb.shared[n]
		}
		return s.place(out, maxCols)
	}
	value := string(s.value)
	out = value
	switch s.typ {
	case "b":
		switch value {
		case "1":
			out = "TRUE"
		case "0":
			out = "FALSE"
		}
	case "d":
		out = isoCellToISO(value, kind)
	case "n":
		out = numberCell(value, kind, s.wb.date1904)
	}
	return s.place(out, maxCols)
}

// digits reads a plain decimal index.
func digits(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// place puts a cell's text at its column.
func (s *sheetReader) place(out string, maxCols int) error {
	if s.col >= maxCols {
		return s.tooManyColumns()
	}
	if s.col < 0 {
		// A reference without column letters: the widget's row drops it.
		s.col++
		return nil
	}
	if s.col >= len(s.row) {
		s.cells += int64(s.col + 1 - len(s.row))
		if s.cells > s.wb.limits.MaxCells {
			return fmt.Errorf("%w: a sheet has more than %d cells", ErrTooMuchData, s.wb.limits.MaxCells)
		}
	}
	for len(s.row) < s.col {
		s.row = append(s.row, "")
	}
	if s.col < len(s.row) {
		s.row[s.col] = out
	} else {
		s.row = append(s.row, out)
	}
	s.col++
	return nil
}

// xlsxReader is the Reader of a workbook's chosen sheet.
type xlsxReader struct {
	settings Settings
	sheet    *sheetReader
	first    []string
	err      error
}

func openXLSX(r io.ReaderAt, size int64, sheet string, l Limits) (Reader, error) {
	wb, err := openWorkbook(r, size, l)
	if err != nil {
		return nil, err
	}
	if len(wb.sheets) == 0 {
		return nil, ErrNoSheets
	}
	names := make([]string, len(wb.sheets))
	for i, s := range wb.sheets {
		names[i] = s.name
	}
	order, err := sheetOrder(names, sheet)
	if err != nil {
		return nil, err
	}
	// The first sheet that has a row, as the widget opens it.
	for _, i := range order {
		sr, err := wb.openSheet(i)
		if err != nil {
			return nil, err
		}
		first, err := sr.next()
		if errors.Is(err, io.EOF) {
			sr.Close()
			continue
		}
		if err != nil {
			sr.Close()
			return nil, err
		}
		return &xlsxReader{
			settings: Settings{Format: "xlsx", Sheet: names[i], Sheets: names},
			sheet:    sr,
			first:    first,
		}, nil
	}
	return nil, fmt.Errorf("%w: no sheet has a row", ErrEmpty)
}

// sheetOrder is the sheets to try: the one asked for, or all in order.
func sheetOrder(names []string, sheet string) ([]int, error) {
	if sheet == "" {
		order := make([]int, len(names))
		for i := range order {
			order[i] = i
		}
		return order, nil
	}
	for i, n := range names {
		if n == sheet {
			return []int{i}, nil
		}
	}
	if strings.HasPrefix(sheet, "#") {
		if n, err := strconv.Atoi(sheet[1:]); err == nil && n >= 1 && n <= len(names) {
			return []int{n - 1}, nil
		}
	}
	return nil, fmt.Errorf("%w (the workbook has %d sheets)", ErrNoSuchSheet, len(names))
}

func (x *xlsxReader) Settings() Settings { return x.settings }
func (x *xlsxReader) Skipped() int64     { return x.sheet.skipped }
func (x *xlsxReader) Close() error       { return x.sheet.Close() }

func (x *xlsxReader) Next() ([]string, error) {
	if x.first != nil {
		row := x.first
		x.first = nil
		return row, nil
	}
	if x.err != nil {
		return nil, x.err
	}
	row, err := x.sheet.next()
	if err != nil {
		// An error ends the sheet: Next returns it again.
		x.err = err
	}
	return row, err
}
