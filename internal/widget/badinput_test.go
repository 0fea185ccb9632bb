package widget_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/intakehq/intake/internal/browsertest"
)

// xlsxWith builds a minimal workbook whose parts are given; the sheet part is
// written last with the given content.
func xlsxWith(t *testing.T, sheets string, sheet []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	parts := []struct{ name, body string }{
		{"_rels/.rels", `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", `<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>` + sheets + `</sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`},
	}
	for _, p := range parts {
		w, err := zw.Create(p.name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(p.body))
	}
	w, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		t.Fatal(err)
	}
	w.Write(sheet)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestBrowserBadInput(t *testing.T) {
	ctx := browsertest.New(t)
	s := newTestServer(t, 0)
	cols := []templateColumn{{Key: "a", Label: "a", Type: "text"}, {Key: "b", Label: "b", Type: "text"}}
	plain := s.addImporter(t, cols)
	limited := s.addImporterWith(t, cols, map[string]any{"max_rows": 2, "max_file_bytes": 1000})
	dir := t.TempDir()
	binary := make([]byte, 4096)
	rand.Read(binary)
	bomb := append([]byte(`<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>`), bytes.Repeat([]byte(" "), 200<<20)...)
	bombBetween := append([]byte(`<worksheet><sheetData>`), bytes.Repeat([]byte(" "), 200<<20)...)
	oneSheet := `<sheet name="S" sheetId="1" r:id="rId1"/>`
	cases := []struct {
		name, file, importer string
		content              []byte
		want                 string
	}{
		{"0-byte file", "empty.csv", plain, nil, "The file is empty."},
		{"header only", "header.csv", plain, []byte("a,b\n"), "The file has column names but no rows."},
		{"binary renamed .csv", "binary.csv", plain, binary, "This does not look like a spreadsheet or a text file."},
		{"text renamed .xlsx", "text.xlsx", plain, []byte("a,b\n1,2\n"), "The workbook could not be read. Is it really an Excel file?"},
		{"password-protected xlsx", "secret.xlsx", plain, append([]byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1}, make([]byte, 1024)...), "The file is password-protected. Remove the password and try again."},
		// One huge text node: refused by the cell-length budget long before
		// it is inflated; the same bytes between elements by the ratio bound.
		{"zip bomb renamed .xlsx", "bomb.xlsx", plain, xlsxWith(t, oneSheet, bomb), "The sheet holds more data than can be read in the browser, so it was refused."},
		{"zip bomb between elements", "bomb2.xlsx", plain, xlsxWith(t, oneSheet, bombBetween), "The file expands to far more data than it holds, so it was refused."},
		{"workbook without sheets", "nosheets.xlsx", plain, xlsxWith(t, "", []byte("<worksheet/>")), "The workbook has no sheet with cells."},
		{"more rows than allowed", "rows.csv", limited, []byte("a,b\n1,2\n3,4\n5,6\n"), "The file has 3 rows; this importer accepts at most 2."},
		{"larger than allowed", "big.csv", limited, []byte("a,b\n" + strings.Repeat("1,2\n", 300)), "The file is larger than 1,000 B."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.file)
			if err := os.WriteFile(path, tc.content, 0o600); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			err := chromedp.Do(ctx,
				chromedp.Navigate(s.URL+"/i/"+tc.importer),
				chromedp.WaitReady(chromedp.CSS(`input[type=file]`)),
				chromedp.SetUploadFiles(chromedp.CSS(`input[type=file]`), []string{path}),
				chromedp.WaitVisible(chromedp.CSS(`.error[role=alert]`)),
			)
			if err != nil {
				t.Fatalf("%v; page shows %q", err, pageText(ctx))
			}
			got, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`.error[role=alert]`)))
			if err != nil || strings.TrimSpace(got) != tc.want {
				t.Errorf("message %q (%v), want %q", got, err, tc.want)
			}
			// The user can go on: the drop zone is back.
			if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector(".drop") !== null`)); err != nil {
				t.Error(err)
			}
		})
	}
}
