package widget_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserCheckOnHelpers checks a file large enough for the parsing
// worker to hand its rows to helper workers in blocks, and with names that
// match every column exactly, so that they are checked while the file is
// still being parsed: the review must show the errors of checking row after
// row, duplicates named by their first row across blocks. The same rows
// under names that match only loosely (checked after the parse) must show
// the same.
func TestBrowserCheckOnHelpers(t *testing.T) {
	s := newTestServer(t, 0)
	key := s.addImporterTemplate(t, []byte(`{"columns":[
		{"key":"id","label":"ID","type":"text","required":true,"unique":true},
		{"key":"email","label":"Email","type":"email","unique":true,"unique_ignore_case":true},
		{"key":"name","label":"Name","type":"text","required":true}]}`), map[string]any{"max_rows": 0})
	const n = 25_000
	// Data rows are numbered from 1: row 15,000 repeats row 3's id, row
	// 24,000 row 12,000's email in capitals (a duplicate across blocks),
	// row 20,001 has no email address, row 9,999 no name.
	body := func(header string) string {
		var b strings.Builder
		b.WriteString(header + "\n")
		for r := 1; r <= n; r++ {
			id, email, name := fmt.Sprint(r), fmt.Sprintf("u%d@example.com", r), "Ann"
			switch r {
			case 15_000:
				id = "3"
			case 24_000:
				email = "U12000@EXAMPLE.COM"
			case 20_001:
				email = "nobody"
			case 9_999:
				name = ""
			}
			fmt.Fprintf(&b, "%s,%s,%s\n", id, email, name)
		}
		return b.String()
	}
	want := "9999:A value is required. | 15000:Duplicate of row 3. | 20001:Must be an email address. | 24000:Duplicate of row 12000."
	for _, tc := range []struct{ name, header string }{
		{"names exact: checked while parsed", "id,email,name"},
		{"names loose: checked after", "Customer ID,E-mail address,Full name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBrowserSession(t, 90*time.Second)
			path := writeFile(t, "many.csv", body(tc.header))
			b.do("review", chromedp.Navigate(s.URL+"/i/"+key),
				chromedp.WaitReady(chromedp.CSS(`input[type=file]`)),
				chromedp.SetUploadFiles(chromedp.CSS(`input[type=file]`), []string{path}),
				chromedp.Click(chromedp.CSS(`[data-testid=header-next]`)),
				chromedp.WaitVisible(chromedp.CSS(`[data-testid=map-next]`)))
			if got := b.eval(`[...document.querySelectorAll("select[data-key]")].map((s) => s.dataset.key + "=" + s.value).join(" ")`); got != "id=0 email=1 name=2" {
				t.Fatalf("matching %q, want every column matched to its own", got)
			}
			b.do("to the review", chromedp.Click(chromedp.CSS(`[data-testid=map-next]`)), chromedp.WaitVisible(chromedp.CSS(`.grid[data-ready]`)))
			if counts := b.checked(); !strings.HasPrefix(counts, "25,000 rows · 4 rows with errors") {
				t.Errorf("counts %q", counts)
			}
			b.do("errors only", chromedp.Click(chromedp.CSS(`[data-testid=errors-only]:not([disabled])`)), chromedp.WaitVisible(chromedp.CSS(`.grid[data-ready]`)))
			got := b.poll("the rows with errors", `(() => {
				const rows = [...document.querySelectorAll(".grid-body .grid-row:not([hidden])")];
				const out = rows.map((r) => r.querySelector("[role=rowheader]")?.textContent + ":" + [...r.querySelectorAll(".grid-cell.invalid")].map((c) => c.title).join(","));
				return rows.length === 4 && out.join(" | ");
			})()`)
			if got != want {
				t.Errorf("rows with errors:\n got %s\nwant %s", got, want)
			}
		})
	}
}
