package widget_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/chromedp/chromedp"

	"github.com/intakehq/intake/internal/browsertest"
)

// Files as real programs write them, imported through the embedded widget
// (the iframe on another origin, as a team's app embeds it) accepting every
// automatic choice: the detected encoding, separator, sheet and header row,
// and the proposed matching. Each must store exactly the rows a person sees
// in the file, nothing more (no blank rows, no title rows) and nothing less.

// shapeHostPage is a host app that opens the importer given in ?key= at once.
const shapeHostPage = `<!doctype html><html><body><p>host app</p>
<script src="%s/embed.js"></script>
<script>Intake.open({ importer: %q });</script></body></html>`

// shape is one file and the rows it must store, in template order; a nil
// cell is stored as null (an empty cell).
type shape struct {
	name   string
	file   string // a path under testdata/corpus, or …
	data   []byte // … the file's bytes, written to a file named name
	labels []string
	want   [][]*string
}

func cells(values ...string) []*string {
	out := make([]*string, len(values))
	for i, v := range values {
		if v != "" {
			out[i] = &v
		}
	}
	return out
}

// utf16LE encodes s as Excel's "Unicode text" export does: UTF-16LE with a BOM.
func utf16LE(s string) []byte {
	var b bytes.Buffer
	b.Write([]byte{0xFF, 0xFE})
	for _, u := range utf16.Encode([]rune(s)) {
		_ = binary.Write(&b, binary.LittleEndian, u)
	}
	return b.Bytes()
}

func TestBrowserRealShapes(t *testing.T) {
	people := [][]*string{cells("a@x.test", "Ann"), cells("b@x.test", "Bob"), cells("c@x.test", "Cy")}
	shapes := []shape{
		// Issue 10, bug 1: Excel's CSV (semicolon in European locales), few rows.
		{name: "semicolon-crlf.csv", data: []byte("email;name\r\na@x.test;Ann\r\nb@x.test;Bob\r\nc@x.test;Cy\r\n"), labels: []string{"email", "name"}, want: people},
		{name: "semicolon-no-final-newline.csv", data: []byte("email;name\r\na@x.test;Ann\r\nb@x.test;Bob\r\nc@x.test;Cy"), labels: []string{"email", "name"}, want: people},
		{name: "tab-lf.tsv", data: []byte("email\tname\na@x.test\tAnn\nb@x.test\tBob\nc@x.test\tCy\n"), labels: []string{"email", "name"}, want: people},
		{name: "pipe.txt", data: []byte("email|name\na@x.test|Ann\nb@x.test|Bob\nc@x.test|Cy\n"), labels: []string{"email", "name"}, want: people},
		// Excel's "Unicode text": UTF-16LE, tabs, CRLF.
		{name: "excel-unicode-text.txt", data: utf16LE("Name\tAmount\r\nAnn\t12\r\nBob\t7,5\r\n"), labels: []string{"Name", "Amount"},
			want: [][]*string{cells("Ann", "12"), cells("Bob", "7,5")}},
		// Every field quoted, as LibreOffice and some CRMs write them.
		{name: "all-quoted.csv", data: []byte("\"Name\";\"Amount\"\r\n\"Ann\";\"12,50\"\r\n\"Bob\";\"3\"\r\n"), labels: []string{"Name", "Amount"},
			want: [][]*string{cells("Ann", "12,50"), cells("Bob", "3")}},
		// Excel's sep= hint line.
		{name: "sep-hint.csv", data: []byte("sep=;\r\nName;Amount\r\nAnn;1,5\r\nBob;2\r\n"), labels: []string{"Name", "Amount"},
			want: [][]*string{cells("Ann", "1,5"), cells("Bob", "2")}},
		// Bug 2: a last line of delimiters only, and blank rows between.
		{name: "trailing-delimiters.csv", data: []byte("Name,Email,Phone,City\nAnn,a@x.test,,Oslo\n,,,\n   , ,\t,\nBob,b@x.test,,Rome\n,,,,\n"), labels: []string{"Name", "Email", "Phone", "City"},
			want: [][]*string{cells("Ann", "a@x.test", "", "Oslo"), cells("Bob", "b@x.test", "", "Rome")}},
		// A title line and a blank line above the header, as report exports have.
		{name: "title-above.csv", data: []byte("Customer export 2026-12-01\n\nName,Email\nAnn,a@x.test\n"), labels: []string{"Name", "Email"},
			want: [][]*string{cells("Ann", "a@x.test")}},
		// Excel "CSV UTF-8" in a European locale: BOM, semicolons, CRLF,
		// decimal commas, a quoted field holding the delimiter.
		{name: "excel-csv-utf8-eu.csv", data: []byte("\ufeffName;Amount;Note\r\nJosé;12,50;\"a;b\"\r\nZoë;3;\r\n"), labels: []string{"Name", "Amount", "Note"},
			want: [][]*string{cells("José", "12,50", "a;b"), cells("Zoë", "3", "")}},
		// Excel "Windows Comma Separated" (Windows-1252) with semicolons.
		{name: "excel-windows-1252.csv", data: []byte("Pr\xe9nom;Nom\r\nJos\xe9;M\xfcller\r\n"), labels: []string{"Prénom", "Nom"},
			want: [][]*string{cells("José", "Müller")}},
		// Google Sheets: commas, CRLF, a quoted field with a line break, no final newline.
		{name: "google-sheets.csv", data: []byte("Name,Notes\r\nAnn,\"line one\nline two\"\r\nBob,plain"), labels: []string{"Name", "Notes"},
			want: [][]*string{cells("Ann", "line one\nline two"), cells("Bob", "plain")}},
		// A CRM export: every field quoted, commas, one data row.
		{name: "crm-all-quoted-one-row.csv", data: []byte("\"Email\",\"First Name\"\n\"a@x.test\",\"Ann\"\n"), labels: []string{"Email", "First Name"},
			want: [][]*string{cells("a@x.test", "Ann")}},
		// One column stays one column, even with commas nowhere.
		{name: "one-column.csv", data: []byte("email\r\na@x.test\r\nb@x.test\r\n"), labels: []string{"email"},
			want: [][]*string{cells("a@x.test"), cells("b@x.test")}},
		// Tabs with quotes inside fields, and a BOM with a sep= line.
		{name: "tab-quotes.tsv", data: []byte("Name\tQuote\nAnn\t\"she said \"\"hi\"\"\"\n"), labels: []string{"Name", "Quote"},
			want: [][]*string{cells("Ann", "she said \"hi\"")}},
		{name: "bom-sep-comma.csv", data: []byte("\ufeffsep=,\r\nName,Amount\r\nAnn,1.5\r\n"), labels: []string{"Name", "Amount"},
			want: [][]*string{cells("Ann", "1.5")}},
		// csvkit's own files.
		{name: "dummy.tsv", file: "csvkit/dummy.tsv", labels: []string{"a", "b", "c"}, want: [][]*string{cells("1", "2", "3")}},
		{name: "mac_newlines.csv", file: "csvkit/mac_newlines.csv", labels: []string{"a", "b", "c"},
			want: [][]*string{cells("1", "2", "3"), cells("Once upon\ra time", "5", "6")}},
		// Bug 9: numbers as Excel shows them; a datetime at midnight stays a
		// datetime in a datetime column.
		{name: "numbers-and-datetimes.xlsx", data: numbersWorkbook(t), labels: []string{"Amount", "Signed up"},
			want: [][]*string{cells("41800000.01", "1920-01-01 00:00:00"), cells("0.3", "1948-01-01 14:57:13"), cells("-1.5", "1971-01-01 04:14:00")}},
	}
	// Bug 3: a sheet with no header row whose first row is dates and
	// numbers; matched by spreadsheet column names.
	for _, name := range []string{"1904/1904.xlsx", "1904/1900.xlsx"} {
		if _, err := os.Stat(filepath.Join(corpusDir(t), "sheetjs", name)); err == nil {
			shapes = append(shapes, shape{name: filepath.Base(name), file: "sheetjs/" + name, labels: []string{"Column B", "Column D"}})
		}
	}

	ctx := browsertest.New(t)
	s := newTestServer(t, 0)
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, shapeHostPage, s.URL, r.URL.Query().Get("key"))
	}))
	t.Cleanup(host.Close)
	dir := t.TempDir()
	for _, sh := range shapes {
		t.Run(sh.name, func(t *testing.T) {
			path := filepath.Join(corpusDir(t), filepath.FromSlash(sh.file))
			if sh.file == "" {
				path = filepath.Join(dir, sh.name)
				if err := os.WriteFile(path, sh.data, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			cols := make([]templateColumn, len(sh.labels))
			for i, l := range sh.labels {
				cols[i] = templateColumn{Key: fmt.Sprintf("c%d", i), Label: l, Type: "text"}
			}
			key := s.addImporterWith(t, cols, map[string]any{"allowed_origins": []string{host.URL}})
			if err := importEmbedded(ctx, host.URL+"/?key="+key, path); err != nil {
				t.Fatal(err)
			}
			rows, _ := s.storedRows(t, key)
			if sh.want == nil && strings.HasPrefix(sh.file, "sheetjs/1904") {
				checkDateColumns(t, rows)
				return
			}
			if len(rows) != len(sh.want) {
				t.Fatalf("stored %d rows, want %d: %s", len(rows), len(sh.want), showRows(rows, len(cols)))
			}
			for r, want := range sh.want {
				for c := range cols {
					if got := rows[r][fmt.Sprintf("c%d", c)]; deref(got) != deref(want[c]) {
						t.Errorf("row %d %q: stored %q, want %q", r+1, sh.labels[c], deref(got), deref(want[c]))
					}
				}
			}
		})
	}
}

// checkDateColumns: in the 1904 workbooks column B holds date serials and
// column D Excel's TEXT(B, "YYYY-MM-DD"); every row is data (there is no
// header row), so the first row must be stored too.
func checkDateColumns(t *testing.T, rows []map[string]*string) {
	t.Helper()
	if len(rows) < 2 {
		t.Fatalf("stored %d rows", len(rows))
	}
	for r, row := range rows {
		if deref(row["c0"]) != deref(row["c1"]) || len(deref(row["c0"])) != len("2006-01-02") {
			t.Errorf("row %d: date %q, Excel says %q", r+1, deref(row["c0"]), deref(row["c1"]))
		}
	}
}

func showRows(rows []map[string]*string, width int) string {
	var b strings.Builder
	for _, row := range rows {
		b.WriteString("[")
		for c := range width {
			fmt.Fprintf(&b, "%q ", deref(row[fmt.Sprintf("c%d", c)]))
		}
		b.WriteString("] ")
	}
	return b.String()
}

// importEmbedded opens the host page, and in the importer's iframe chooses
// the file and accepts every proposal up to the done step.
func importEmbedded(parent context.Context, hostURL, path string) error {
	ctx, cancel := context.WithTimeout(parent, 40*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(hostURL), chromedp.WaitReady(chromedp.CSS("iframe"))); err != nil {
		return err
	}
	if _, err := browsertest.ImportInFrame(ctx, path); err != nil {
		return fmt.Errorf("import %s: %w", filepath.Base(path), err)
	}
	return nil
}

// numbersWorkbook is a minimal XLSX as Excel writes one: a General number
// column with binary fractions Excel shows rounded to 15 digits, and a
// datetime column (format yyyy-mm-dd hh:mm:ss) whose first value is at
// midnight.
func numbersWorkbook(t *testing.T) []byte {
	t.Helper()
	files := map[string]string{
		"[Content_Types].xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>`,
		"_rels/.rels": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
		"xl/workbook.xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`,
		"xl/styles.xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\-mm\-dd\ hh:mm:ss"/></numFmts><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="164" applyNumberFormat="1"/></cellXfs></styleSheet>`,
		"xl/worksheets/sheet1.xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>Amount</t></is></c><c r="B1" t="inlineStr"><is><t>Signed up</t></is></c></row>
<row r="2"><c r="A2"><v>41800000.009999998</v></c><c r="B2" s="1"><v>7306</v></c></row>
<row r="3"><c r="A3"><v>0.30000000000000004</v></c><c r="B3" s="1"><v>17533.623067129629</v></c></row>
<row r="4"><c r="A4"><v>-1.5</v></c><c r="B4" s="1"><v>25934.176388888889</v></c></row>
</sheetData></worksheet>`,
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, name := range []string{"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml", "xl/worksheets/sheet1.xml"} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(files[name])); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
