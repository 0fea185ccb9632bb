package rows

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

func s(v string) *string { return &v }

// chunks is a Source over rows held in memory, split into chunks of size n.
type chunks struct {
	rows [][]*string
	n    int
}

func (c chunks) Each(_ context.Context, fn func([][]*string) error) error {
	for i := 0; i < len(c.rows); i += c.n {
		if err := fn(c.rows[i:min(i+c.n, len(c.rows))]); err != nil {
			return err
		}
	}
	return nil
}

// TestCSVField: the OWASP CSV-injection vectors and CSV quoting.
func TestCSVField(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{`=1+2";=1+2`, `"'=1+2"";=1+2"`}, // OWASP's example
		{`=HYPERLINK("http://x","y")`, `"'=HYPERLINK(""http://x"",""y"")"`},
		{`+cmd|' /C calc'!A0`, `'+cmd|' /C calc'!A0`},
		{`-2+3+cmd|' /C calc'!A0`, `'-2+3+cmd|' /C calc'!A0`},
		{`@SUM(1+1)*cmd|' /C calc'!A0`, `'@SUM(1+1)*cmd|' /C calc'!A0`},
		{"\t=1+2", "'\t=1+2"},
		{"\r=1+2", "\"'\r=1+2\""},
		{"\n=1+2", "\"'\n=1+2\""},
		{"\x00=1+2", "'\x00=1+2"},
		{"-12.5", "-12.5"},
		{"+3e4", "+3e4"},
		{"-", "'-"},
		{"1-2", "1-2"},
		{"a,b", `"a,b"`},
		{" lead", `" lead"`},
		{"", `""`},
		{"plain", "plain"},
		{"Zoë", "Zoë"},
	} {
		if got := string(appendCSVField(nil, tc.in)); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
	}
}

// neutral is what a reader of a download sees for a value.
func neutral(v string) string {
	if NeedsNeutralizing(v) {
		return "'" + v
	}
	return v
}

func sampleRows(n int) [][]*string {
	vals := []*string{s("plain"), s(`=1+2";=1+2`), nil, s("multi\nline, \"quoted\""), s("@x"), s("-7.25"),
		s("tab\there"), s("ctrl\x01\x1fchar"), s("_x0041_ literal"), s("<&>"), s(""), s("日本語 ✓"), s("cr\r\nlf")}
	rows := make([][]*string, n)
	for i := range rows {
		row := make([]*string, 4)
		for j := range row {
			row[j] = vals[(i*4+j)%len(vals)]
		}
		row[0] = s(fmt.Sprintf("row %d", i))
		rows[i] = row
	}
	return rows
}

func TestCSVRoundTrip(t *testing.T) {
	t.Parallel()
	cols := []string{"id", "a", "=b", "c"}
	rows := sampleRows(1000)
	var buf bytes.Buffer
	if err := Write(context.Background(), &buf, CSV, cols, chunks{rows, 77}); err != nil {
		t.Fatal(err)
	}
	got, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got[0], []string{"id", "a", "'=b", "c"}) {
		t.Fatalf("header %q", got[0])
	}
	if len(got) != len(rows)+1 {
		t.Fatalf("%d records, want %d", len(got), len(rows)+1)
	}
	for i, row := range rows {
		for j, v := range row {
			want := ""
			if v != nil {
				want = neutral(*v)
			}
			// encoding/csv folds \r\n inside a quoted field to \n.
			want = strings.ReplaceAll(want, "\r\n", "\n")
			if got[i+1][j] != want {
				t.Fatalf("row %d col %d: got %q, want %q", i, j, got[i+1][j], want)
			}
		}
	}
}

// TestXLSX reads the workbook back with excelize, an independent reader,
// across a sheet roll-over.
func TestXLSX(t *testing.T) {
	t.Parallel()
	cols := []string{"id", "a", "b", "c"}
	rows := sampleRows(250)
	var buf bytes.Buffer
	x, err := newXLSX(&buf, cols)
	if err != nil {
		t.Fatal(err)
	}
	x.sheetRows = 101 // header + 100 rows per sheet
	if err := (chunks{rows, 33}).Each(context.Background(), x.WriteRows); err != nil {
		t.Fatal(err)
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !reflect.DeepEqual(got, []string{"Sheet1", "Sheet2", "Sheet3"}) {
		t.Fatalf("sheets %v", got)
	}
	var read [][]string
	for _, sh := range f.GetSheetList() {
		rs, err := f.GetRows(sh)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(rs[0], cols) {
			t.Fatalf("%s header %q", sh, rs[0])
		}
		read = append(read, rs[1:]...)
	}
	if len(read) != len(rows) {
		t.Fatalf("%d rows, want %d", len(read), len(rows))
	}
	for i, row := range rows {
		for j, v := range row {
			want := ""
			if v != nil {
				want = neutral(*v)
			}
			got := ""
			if j < len(read[i]) {
				got = read[i][j]
			}
			if got != want {
				t.Fatalf("row %d col %d: got %q, want %q", i, j, got, want)
			}
		}
	}
	if v, _ := f.GetCellValue("Sheet1", "B2"); v != "'=1+2\";=1+2" {
		t.Fatalf("B2 = %q: formula not neutralized", v)
	}
	if formula, _ := f.GetCellFormula("Sheet1", "B2"); formula != "" {
		t.Fatalf("B2 holds a formula %q", formula)
	}
}

func TestJSONL(t *testing.T) {
	t.Parallel()
	rows := sampleRows(20)
	var buf bytes.Buffer
	if err := Write(context.Background(), &buf, JSONL, []string{"id", "a", "b", "c"}, chunks{rows, 7}); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(&buf)
	for i, row := range rows {
		var got map[string]*string
		if err := dec.Decode(&got); err != nil {
			t.Fatal(err)
		}
		want := map[string]*string{"id": row[0], "a": row[1], "b": row[2], "c": row[3]}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("row %d: %v", i, got)
		}
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatal("trailing data")
	}
}

func TestParseFormat(t *testing.T) {
	t.Parallel()
	for _, f := range []string{"csv", "xlsx", "jsonl"} {
		if _, err := ParseFormat(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	for _, f := range []string{"", "CSV", "xls", "../x"} {
		if _, err := ParseFormat(f); err == nil {
			t.Errorf("%q accepted", f)
		}
	}
}

// BenchmarkCSV measures the writer alone on 10-column rows of ~80 bytes.
func BenchmarkCSV(b *testing.B) {
	rows := make([][]*string, 10000)
	for i := range rows {
		rows[i] = []*string{s(fmt.Sprint(i)), s("Zoë"), s("Example"), s(fmt.Sprintf("user%d@example.com", i)),
			s("+15555550100"), s("2024-01-31"), s("-12.50"), s("US"), s("true"), s("a note, with a comma")}
	}
	var n int64
	for b.Loop() {
		cw := &countWriter{}
		if err := Write(context.Background(), cw, CSV, make([]string, 10), chunks{rows, 5000}); err != nil {
			b.Fatal(err)
		}
		n = cw.n
	}
	b.SetBytes(n)
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }
