package parse

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// generatedWorkbooks writes workbooks that hold what the corpus has little
// of, for the parity test: thousands of numbers of every magnitude in every
// kind of number format (General, built-in and custom dates, times,
// elapsed times, non-date formats), both date systems, every cell type,
// shared strings with runs, phonetic text, references and line ends, rows
// out of order or without numbers, and blank rows.
func generatedWorkbooks(t *testing.T, dir string) []string {
	t.Helper()
	styles := `<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="9">` +
		`<numFmt numFmtId="164" formatCode="yyyy\-mm\-dd\ hh:mm"/><numFmt numFmtId="165" formatCode="[h]:mm:ss"/>` +
		`<numFmt numFmtId="166" formatCode="&quot;Date: &quot;yyyy"/><numFmt numFmtId="167" formatCode="0.00"/>` +
		`<numFmt numFmtId="168" formatCode="mm:ss"/><numFmt numFmtId="169" formatCode="h:mm AM/PM"/>` +
		`<numFmt numFmtId="170" formatCode="[$-409]d\-mmm\-yy;@"/><numFmt numFmtId="171" formatCode="[Red]0.00;[Blue]General"/>` +
		`<numFmt numFmtId="14" formatCode="0.0"/></numFmts>` +
		`<cellStyleXfs count="1"><xf numFmtId="22"/></cellStyleXfs><cellXfs count="14"><xf numFmtId="0"/>` +
		`<xf numFmtId="15"/><xf numFmtId="22"/><xf numFmtId="21"/><xf numFmtId="46"/><xf numFmtId="164"/><xf numFmtId="165"/>` +
		`<xf numFmtId="166"/><xf numFmtId="167"/><xf numFmtId="168"/><xf numFmtId="169"/><xf numFmtId="170"/><xf numFmtId="171"/><xf numFmtId="14"/>` +
		`</cellXfs></styleSheet>`
	shared := `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>plain</t></si>` +
		`<si><r><t>rich </t></r><r><rPr><b/></rPr><t xml:space="preserve">text </t></r></si>` +
		`<si><t>漢字</t><rPh sb="0" eb="2"><t>かんじ</t></rPh></si><si/><si><t></t></si>` +
		`<si><t>a &amp; b &lt;c&gt; &#x41;&#66; &unknown; &#13;cr` + "\r\ncrlf\rcr\n" + `lf</t></si>` +
		`<si><t>  </t></si><si><t>12</t></si></sst>`
	rels := `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
		`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="/xl/styles.xml"/>` +
		`<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="../xl/sharedStrings.xml"/></Relationships>`
	rng := rand.New(rand.NewPCG(16, 2))
	number := func() string {
		switch rng.IntN(9) {
		case 0:
			return strconv.FormatFloat(rng.Float64()*math.Pow(10, float64(rng.IntN(40)-20)), 'g', -1, 64)
		case 1:
			return strconv.FormatFloat(-rng.Float64()*math.Pow(10, float64(rng.IntN(10))), 'f', -1, 64)
		case 2:
			return strconv.FormatInt(1<<53+rng.Int64N(1000)-500, 10)
		case 3:
			return strconv.FormatFloat(rng.Float64()*3_000_000, 'f', 17, 64)
		case 4:
			return fmt.Sprintf("%d.5", rng.IntN(100000))
		case 5:
			return []string{"0", "-0", "1E+21", "1E-7", "0.30000000000000004", "41800000.009999998", "1e308", "1.7976931348623157E+308", "5e-324", "60", "61", "59.99999", "2958465.99999", "2958466", "-1", "0.9999999"}[rng.IntN(16)]
		case 6:
			return strconv.FormatFloat(float64(rng.IntN(80000))+rng.Float64(), 'f', -1, 64)
		case 7:
			return strconv.FormatFloat(rng.Float64(), 'f', -1, 64)
		default:
			return strconv.Itoa(rng.IntN(3_000_000))
		}
	}
	var paths []string
	for _, date1904 := range []bool{false, true} {
		var sheet strings.Builder
		sheet.WriteString(`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
		r := 0
		for range 2000 {
			r += 1 + rng.IntN(2)*rng.IntN(3)
			fmt.Fprintf(&sheet, `<row r="%d">`, r)
			for c := range 14 {
				fmt.Fprintf(&sheet, `<c r="%s%d" s="%d"><v>%s</v></c>`, string(rune('A'+c)), r, c, number())
			}
			fmt.Fprintf(&sheet, `<c t="s"><v>%d</v></c>`, rng.IntN(9))
			fmt.Fprintf(&sheet, `<c t="b"><v>%d</v></c><c t="e"><v>#N/A</v></c><c t="str" s="2"><f>A1</f><v>x&amp;y</v></c>`, rng.IntN(3))
			fmt.Fprintf(&sheet, `<c t="d" s="%d"><v>%s</v></c>`, rng.IntN(14), []string{"2024-02-29T13:14:15", "2024-02-29", "1899-12-30T06:00:00", "T10:11:12", "garbage"}[rng.IntN(5)])
			fmt.Fprintf(&sheet, `<c t="inlineStr"><is><r><t>in</t></r><r><t>line &lt;%d&gt;</t></r></is></c>`, r)
			sheet.WriteString(`</row>`)
			if rng.IntN(20) == 0 {
				sheet.WriteString(`<row><c t="inlineStr"><is><t> </t></is></c><c><v></v></c></row><row/>`)
			}
			if rng.IntN(30) == 0 {
				fmt.Fprintf(&sheet, `<row><c r="C%d"><v>3</v></c><c r="A%d"><v>1</v></c><c><v>2</v></c><c r="12"><v>9</v></c></row>`, r, r)
			}
		}
		sheet.WriteString(`<row r="900000"><c r="A900000" t="inlineStr"><is><t> </t></is></c></row></sheetData></worksheet>`)
		name := fmt.Sprintf("generated-%v.xlsx", date1904)
		path := filepath.Join(dir, name)
		pr := ""
		if date1904 {
			pr = `<workbookPr date1904="1"/>`
		}
		writeWorkbook(t, path, func(w io.Writer) error { _, err := io.WriteString(w, sheet.String()); return err }, map[string]string{
			"xl/workbook.xml":            `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` + pr + `<sheets><sheet name="Gen &amp; rated" sheetId="1" r:id="rId1"/></sheets></workbook>`,
			"xl/_rels/workbook.xml.rels": rels,
			"xl/styles.xml":              styles,
			"xl/sharedStrings.xml":       shared,
		})
		paths = append(paths, path)
	}
	return paths
}
