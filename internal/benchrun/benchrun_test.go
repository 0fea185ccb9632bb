package benchrun

import (
	"slices"
	"testing"

	"github.com/intakehq/intake/internal/benchdata"
)

// parseFile keeps every record of the data set, not the reader's reused
// slice: when it kept the slice, every record read as the last, the chunk
// bodies were one row 100,000 times over, and the raw limits measured on
// them (inflate only, the bare sink) read 20 to 50 times too high.
func TestParseFileKeepsEveryRecord(t *testing.T) {
	t.Parallel()
	const rows = 1200
	g := benchdata.New()
	want := [][]string{benchdata.Header}
	for range rows {
		r := g.Next()
		want = append(want, r.Fields())
	}
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			path, _, _, err := writeDataSet(t.TempDir(), format, rows)
			if err != nil {
				t.Fatal(err)
			}
			got, err := parseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d records, want %d", len(got), len(want))
			}
			for i := range want {
				// The text cells (XLSX types the amount, date and boolean).
				if !slices.Equal(got[i][:5], want[i][:5]) {
					t.Fatalf("record %d is %q, want %q", i, got[i], want[i])
				}
			}
		})
	}
}
