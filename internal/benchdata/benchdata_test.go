package benchdata

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// The shared generator, when this machine has it (its repository is not
// this one: it is not copied here).
const genData = "/work/shared/bench/gen-data.mjs"

// The sha256 of gen-data.mjs's files (generator version 1, seed 20240601),
// copied from its README's manifest.json, for machines without it.
var known = map[int]string{
	10_000:  "3fd77f6bcd53e38c38eaf854097761c5860d7012a603325bf8c9f932cbc4f47f",
	100_000: "6074f8c14076106146abf94b7c2364909cfafe4ba91ab83823773673a1a77eed",
}

// reference returns the sha256 gen-data.mjs gives for 10k and 100k rows:
// computed by running it when node and the script are here, else known.
func reference(t *testing.T) map[int]string {
	node, err := exec.LookPath("node")
	if _, serr := os.Stat(genData); err != nil || serr != nil {
		t.Logf("no node or %s: comparing to the sha256 copied from its README", genData)
		return known
	}
	out := t.TempDir()
	cmd := exec.Command(node, genData, "--out", out, "--sizes", "10k,100k", "--no-xlsx")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gen-data.mjs: %v\n%s", err, b)
	}
	sums := map[int]string{}
	for rows, name := range map[int]string{10_000: "rows-10k.csv", 100_000: "rows-100k.csv"} {
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		sums[rows] = hex.EncodeToString(sum[:])
		if sums[rows] != known[rows] {
			t.Errorf("gen-data.mjs wrote %s with sha256 %s, its README says %s", name, sums[rows], known[rows])
		}
	}
	return sums
}

func TestCSVIsGenDataBytes(t *testing.T) {
	t.Parallel()
	for rows, want := range reference(t) {
		h := sha256.New()
		if err := WriteCSV(h, rows); err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != want {
			t.Errorf("%d rows: sha256 %s, gen-data.mjs %s", rows, got, want)
		}
	}
}

// Any row count is the head of the same stream: 1,234 rows are the first
// 1,235 lines of the 10k file.
func TestAnyRowCountIsAPrefix(t *testing.T) {
	t.Parallel()
	var small, big bytes.Buffer
	if err := WriteCSV(&small, 1234); err != nil {
		t.Fatal(err)
	}
	if err := WriteCSV(&big, 10_000); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(big.Bytes(), small.Bytes()) {
		t.Fatal("1,234 rows are not the head of 10,000")
	}
	recs, err := csv.NewReader(&small).ReadAll()
	if err != nil || len(recs) != 1235 {
		t.Fatalf("%d records, %v", len(recs), err)
	}
	if e := recs[1234]; e[0] != "1234" || len(e) != len(Header) {
		t.Fatalf("last record %q", e)
	}
}

// The XLSX holds the CSV's records as typed cells.
func TestXLSXHoldsTheCSVRecords(t *testing.T) {
	t.Parallel()
	const rows = 3000
	var x, c bytes.Buffer
	if err := WriteXLSX(&x, rows); err != nil {
		t.Fatal(err)
	}
	if err := WriteCSV(&c, rows); err != nil {
		t.Fatal(err)
	}
	want, err := csv.NewReader(&c).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&x)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := f.GetRows(Sheet)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != rows+1 {
		t.Fatalf("%d rows in the sheet, want %d", len(got), rows+1)
	}
	for i := range got {
		for len(got[i]) < len(Header) {
			got[i] = append(got[i], "") // excelize drops trailing empty cells
		}
		g, w := got[i], want[i]
		if i > 0 {
			// Typed cells read back in their own spelling.
			g[6], w[6] = strings.TrimSuffix(strings.TrimSuffix(g[6], "0"), ".0"), strings.TrimSuffix(strings.TrimSuffix(w[6], "0"), ".0")
			g[8] = strings.ToLower(g[8])
		}
		if strings.Join(g, "\x00") != strings.Join(w, "\x00") {
			t.Fatalf("row %d: XLSX %q, CSV %q", i, g, w)
		}
	}
	// Cells are typed, not text: numbers (no type attribute), dates
	// (numbers with a date format), booleans.
	for cell, want := range map[string]excelize.CellType{"A2": excelize.CellTypeUnset, "F2": excelize.CellTypeUnset,
		"G2": excelize.CellTypeUnset, "I2": excelize.CellTypeBool, "B2": excelize.CellTypeInlineString} {
		if typ, err := f.GetCellType(Sheet, cell); err != nil || typ != want {
			t.Errorf("%s: type %v (%v), want %v", cell, typ, err, want)
		}
	}
}
