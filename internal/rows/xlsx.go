package rows

import (
	"archive/zip"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/klauspost/compress/flate"
)

// maxSheetRows is Excel's row limit per sheet; the header takes one, so a
// larger import continues on Sheet2, Sheet3, … each with its own header.
const maxSheetRows = 1 << 20

// xlsxWriter streams an Office Open XML workbook: every cell an inline
// string (no shared-string table to hold in memory), the header row bold,
// the parts that list the sheets written last, once their number is known.
type xlsxWriter struct {
	zw      *zip.Writer
	sheet   io.Writer
	columns []string
	refs    []string // column letters: A, B, …
	sheets  int
	row     int // rows written to the current sheet, header included
	// sheetRows is maxSheetRows; tests lower it to see sheets roll over.
	sheetRows int
	buf       []byte
}

func newXLSX(w io.Writer, columns []string) (*xlsxWriter, error) {
	x := &xlsxWriter{zw: zip.NewWriter(w), columns: columns, sheetRows: maxSheetRows, buf: make([]byte, 0, flushAt+4096)}
	// Fastest deflate (klauspost's, about 1.6x the standard library's here):
	// spreadsheets compress well anyway and a download is bound by this
	// loop, not the network.
	x.zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestSpeed)
	})
	for i := range columns {
		x.refs = append(x.refs, columnRef(i))
	}
	return x, x.startSheet()
}

// columnRef turns a 0-based column index into Excel letters.
func columnRef(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}

const sheetHead = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
	`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`
const sheetTail = `</sheetData></worksheet>`

func (x *xlsxWriter) startSheet() error {
	x.sheets++
	w, err := x.zw.Create(fmt.Sprintf("xl/worksheets/sheet%d.xml", x.sheets))
	if err != nil {
		return fmt.Errorf("xlsx sheet %d: %w", x.sheets, err)
	}
	x.sheet, x.row = w, 0
	x.buf = append(x.buf[:0], sheetHead...)
	header := make([]*string, len(x.columns))
	for i := range x.columns {
		header[i] = &x.columns[i]
	}
	x.appendRow(header, ` s="1"`)
	return nil
}

func (x *xlsxWriter) appendRow(row []*string, style string) {
	x.row++
	r := strconv.Itoa(x.row)
	x.buf = append(x.buf, `<row r="`...)
	x.buf = append(x.buf, r...)
	x.buf = append(x.buf, `">`...)
	for i, v := range row {
		if v == nil || i >= len(x.refs) {
			continue
		}
		x.buf = append(x.buf, `<c r="`...)
		x.buf = append(x.buf, x.refs[i]...)
		x.buf = append(x.buf, r...)
		x.buf = append(x.buf, `" t="inlineStr"`...)
		x.buf = append(x.buf, style...)
		x.buf = append(x.buf, `><is><t xml:space="preserve">`...)
		if NeedsNeutralizing(*v) {
			x.buf = append(x.buf, '\'')
		}
		x.buf = appendXMLText(x.buf, *v)
		x.buf = append(x.buf, `</t></is></c>`...)
	}
	x.buf = append(x.buf, `</row>`...)
}

func (x *xlsxWriter) WriteRows(rows [][]*string) error {
	for _, row := range rows {
		if x.row == x.sheetRows {
			if err := x.endSheet(); err != nil {
				return err
			}
			if err := x.startSheet(); err != nil {
				return err
			}
		}
		x.appendRow(row, "")
		if len(x.buf) >= flushAt {
			if _, err := x.sheet.Write(x.buf); err != nil {
				return fmt.Errorf("xlsx sheet %d: %w", x.sheets, err)
			}
			x.buf = x.buf[:0]
		}
	}
	return nil
}

func (x *xlsxWriter) endSheet() error {
	x.buf = append(x.buf, sheetTail...)
	_, err := x.sheet.Write(x.buf)
	x.buf = x.buf[:0]
	if err != nil {
		return fmt.Errorf("xlsx sheet %d: %w", x.sheets, err)
	}
	return nil
}

func (x *xlsxWriter) Close() error {
	if err := x.endSheet(); err != nil {
		return err
	}
	ns := `xmlns="http://schemas.openxmlformats.org/`
	head := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"
	types := head + `<Types ` + ns + `package/2006/content-types">` +
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
		`<Default Extension="xml" ContentType="application/xml"/>` +
		`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
		`<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>`
	book := head + `<workbook ` + ns + `spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>`
	rels := head + `<Relationships ` + ns + `package/2006/relationships">`
	for i := 1; i <= x.sheets; i++ {
		types += fmt.Sprintf(`<Override PartName="/xl/worksheets/sheet%d.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`, i)
		book += fmt.Sprintf(`<sheet name="Sheet%d" sheetId="%d" r:id="rId%d"/>`, i, i, i)
		rels += fmt.Sprintf(`<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet%d.xml"/>`, i, i)
	}
	rels += fmt.Sprintf(`<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>`, x.sheets+1)
	parts := []struct{ name, body string }{
		{"xl/workbook.xml", book + `</sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", rels + `</Relationships>`},
		{"xl/styles.xml", head + stylesXML},
		{"_rels/.rels", head + `<Relationships ` + ns + `package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"[Content_Types].xml", types + `</Types>`},
	}
	for _, p := range parts {
		w, err := x.zw.Create(p.name)
		if err == nil {
			_, err = io.WriteString(w, p.body)
		}
		if err != nil {
			return fmt.Errorf("xlsx %s: %w", p.name, err)
		}
	}
	if err := x.zw.Close(); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	return nil
}

// stylesXML: style 0 plain, style 1 bold (the header row).
const stylesXML = `<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
	`<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>` +
	`<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>` +
	`<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>` +
	`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
	`<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>` +
	`<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs></styleSheet>`

// appendXMLText escapes s for an OOXML <t> element: the XML specials, the
// control characters XML 1.0 cannot hold (and CR, which XML readers would
// fold into LF) as _xHHHH_, a literal "_x" as _x005F_x so it is not read as
// such an escape, and invalid UTF-8 as U+FFFD.
func appendXMLText(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '&':
				dst = append(dst, "&amp;"...)
			case c == '<':
				dst = append(dst, "&lt;"...)
			case c == '>':
				dst = append(dst, "&gt;"...)
			case c == '_' && i+1 < len(s) && s[i+1] == 'x':
				dst = append(dst, "_x005F_"...)
			case c < 0x20 && c != '\t' && c != '\n':
				dst = fmt.Appendf(dst, "_x%04X_", c)
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == 0xFFFE || r == 0xFFFF {
			dst = utf8.AppendRune(dst, utf8.RuneError)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return dst
}
