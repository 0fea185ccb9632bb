package validate_test

import (
	"encoding/csv"
	"errors"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/intakehq/intake/internal/server"
	"github.com/intakehq/intake/internal/server/servertest"
	"github.com/intakehq/intake/internal/validate"
)

// benchData is the reference data set of /work/shared/bench (gen-data.mjs):
// 10 columns id, first_name, last_name, email, phone, signup_date, amount,
// country, active, notes. INTAKE_BENCH_DATA points at the CSV; benchmarks
// skip when it is missing.
var benchData = sync.OnceValues(func() ([][]*string, error) {
	path := os.Getenv("INTAKE_BENCH_DATA")
	if path == "" {
		path = "/tmp/bench-data/rows-1m.csv"
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	if _, err := r.Read(); err != nil {
		return nil, err
	}
	var rows [][]*string
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, err
		}
		row := make([]*string, len(rec))
		for i := range rec {
			row[i] = &rec[i]
		}
		rows = append(rows, row)
	}
})

func loadBench(b *testing.B) [][]*string {
	rows, err := benchData()
	if err != nil {
		b.Skipf("no benchmark data (%v); run node /work/shared/bench/gen-data.mjs --out /tmp/bench-data --sizes 100k,1m --no-xlsx", err)
	}
	return rows
}

// benchTypes are the reference columns typed as an importer would type them.
var benchTypes = []string{
	`{"key": "id", "type": "number", "integer": true, "min": 1}`,
	`{"key": "first_name", "type": "text", "max_length": 100}`,
	`{"key": "last_name", "type": "text", "max_length": 100}`,
	`{"key": "email", "type": "email", "required": true}`,
	`{"key": "phone", "type": "phone"}`,
	`{"key": "signup_date", "type": "date", "formats": ["YYYY-MM-DD", "DD/MM/YYYY"]}`,
	`{"key": "amount", "type": "number"}`,
	`{"key": "country", "type": "country"}`,
	`{"key": "active", "type": "boolean"}`,
	`{"key": "notes", "type": "text", "max_length": 1000}`,
}

func runRows(b *testing.B, e *validate.Engine, rows [][]*string, pick []int) {
	runStream(b, e, rows, pick, func() *validate.Stream { return e.NewStream(nil) }, (*validate.Stream).Row)
}

// runStream is runRows with the stream (and so the Uniqueness) and the row
// method chosen by the caller.
func runStream(b *testing.B, e *validate.Engine, rows [][]*string, pick []int, open func() *validate.Stream,
	rowFunc func(*validate.Stream, int, []*string, []*string, []validate.Error) []validate.Error) {
	n := len(pick)
	in := make([]*string, n)
	out := make([]*string, n)
	errs := make([]validate.Error, 0, 16)
	s := open()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0, cpuOK := threadCPU()
	for i := 0; i < b.N; i++ {
		if i > 0 && i%len(rows) == 0 {
			s = open() // a new import: unique columns start empty again
		}
		row := rows[i%len(rows)]
		for j, k := range pick {
			in[j] = row[k]
		}
		errs = rowFunc(s, i+1, in, out, errs[:0])
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/cell")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	if cpu1, ok := threadCPU(); ok && cpuOK {
		// CPU time of this thread only: what the row costs on a core of its own.
		cpu := cpu1 - cpu0
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/float64(n), "cpu-ns/cell")
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "cpu-rows/s")
	}
}

// BenchmarkRows validates whole rows: "core" types the 10 columns with text,
// number, email and date only (phone, country, active as text) — the
// acceptance target of 1M rows/s on one core; "all" uses every column's
// natural type, phone included.
func BenchmarkRows(b *testing.B) {
	rows := loadBench(b)
	all := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	core := append([]string(nil), benchTypes...)
	core[4] = `{"key": "phone", "type": "text"}`
	core[7] = `{"key": "country", "type": "text", "max_length": 2}`
	core[8] = `{"key": "active", "type": "text"}`
	for _, tc := range []struct {
		name string
		cols []string
	}{{"core", core}, {"all", benchTypes}} {
		b.Run(tc.name, func(b *testing.B) {
			e := mustEngine(b, `{"columns": [`+strings.Join(tc.cols, ",")+`]}`)
			runRows(b, e, rows, all)
		})
	}
}

// BenchmarkTemplate validates the bench rows with the server's templates as
// server ingest does (RowValidUTF8): "demo" is the demo importer's template
// (phone with default region US, id and email unique), "typed" the typed
// template of the ingest benchmarks. Unique values go to a Uniqueness that
// keeps nothing: the engine's share (normalising and folding the key) is
// measured, the claims are the server's (internal/ingest, measured there).
func BenchmarkTemplate(b *testing.B) {
	rows := loadBench(b)
	all := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	for _, tc := range []struct{ name, template string }{
		{"demo", string(server.DemoTemplate)},
		{"typed", servertest.TypedTemplate},
	} {
		b.Run(tc.name, func(b *testing.B) {
			e := mustEngine(b, tc.template)
			runStream(b, e, rows, all, func() *validate.Stream { return e.NewStream(noClaims{}) }, (*validate.Stream).RowValidUTF8)
		})
	}
}

// noClaims is a Uniqueness that finds no duplicate and keeps nothing.
type noClaims struct{}

func (noClaims) Claim(_ int, _ string, row int) (int, bool) { return row, false }

// BenchmarkType measures one column type at a time on its reference column.
// It cycles over the first 8192 rows so that the figure is the check's own
// cost, not the memory latency of fetching one cell per row of a 1M-row set
// (BenchmarkRows measures whole rows); unique_email uses every row, since its
// cost grows with the number of distinct values.
func BenchmarkType(b *testing.B) {
	all := loadBench(b)
	hot := all[:min(8192, len(all))]
	for _, tc := range []struct {
		name string
		col  int
		def  string
	}{
		{"text", 1, benchTypes[1]},
		{"text_long", 9, benchTypes[9]},
		{"number_integer", 0, benchTypes[0]},
		{"number_decimal", 6, benchTypes[6]},
		{"email", 3, benchTypes[3]},
		{"date", 5, benchTypes[5]},
		{"boolean", 8, benchTypes[8]},
		{"country", 7, benchTypes[7]},
		{"phone", 4, benchTypes[4]},
		{"unique_email", 3, `{"key": "email", "type": "email", "unique": true, "unique_ignore_case": true}`},
	} {
		b.Run(tc.name, func(b *testing.B) {
			e := mustEngine(b, `{"columns": [`+tc.def+`]}`)
			rows := hot
			if tc.name == "unique_email" {
				rows = all
			}
			runRows(b, e, rows, []int{tc.col})
		})
	}
}
