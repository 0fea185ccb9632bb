package parse

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/intakehq/intake/internal/cputime"
)

// Benchmarks of the whole parse of the shared 1M-row data set, CSV and
// XLSX, each beside its raw limit measured in the same run: for CSV the
// bytes read and their newlines counted, and encoding/csv alone; for XLSX
// excelize's streaming row reader alone on the same file. Figures are rows
// per CPU-second of the process (internal/cputime), which a busy machine
// skews less than wall time.
//
//	go test -run '^$' -bench . -benchtime 1x ./internal/parse/

const benchCSV = "/tmp/bench-data/rows-1m.csv"

// benchXLSX is the same rows as an XLSX workbook, written once by
// excelize's stream writer (ids and amounts as numbers, signup dates as
// dates, the rest as strings).
const benchXLSX = "/tmp/bench-xlsx/rows-1m.xlsx"

func cpuNow() time.Duration {
	d, _ := cputime.Process()
	return d
}

// measure runs fn b.N times and reports rows per CPU-second under name.
func measure(b *testing.B, name string, fn func() int) {
	b.Helper()
	var rows int
	cpu := cpuNow()
	for range b.N {
		rows = fn()
	}
	if d := (cpuNow() - cpu).Seconds(); d > 0 {
		b.ReportMetric(float64(rows*b.N)/d, name+"-rows/cpu-s")
	}
}

func benchFile(b *testing.B, path string) *os.File {
	b.Helper()
	f, err := os.Open(path)
	if err != nil {
		b.Skipf("%s: %v (node /work/shared/bench/gen-data.mjs writes it)", path, err)
	}
	b.Cleanup(func() { f.Close() })
	return f
}

func countRows(b *testing.B, f *os.File, name string) int {
	info, _ := f.Stat()
	r, err := Open(f, info.Size(), name, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	n := 0
	for {
		if _, err := r.Next(); err != nil {
			if !errors.Is(err, io.EOF) {
				b.Fatal(err)
			}
			return n
		}
		n++
	}
}

func BenchmarkCSV1M(b *testing.B) {
	f := benchFile(b, benchCSV)
	b.Run("newlines", func(b *testing.B) {
		buf := make([]byte, 1<<20)
		measure(b, "raw", func() int {
			n := 0
			for off := int64(0); ; {
				k, err := f.ReadAt(buf, off)
				n += bytes.Count(buf[:k], []byte{'\n'})
				off += int64(k)
				if err != nil {
					return n
				}
			}
		})
	})
	b.Run("encoding-csv", func(b *testing.B) {
		measure(b, "encoding/csv", func() int {
			r := csv.NewReader(io.NewSectionReader(f, 0, 1<<62))
			r.ReuseRecord = true
			n := 0
			for {
				if _, err := r.Read(); err != nil {
					return n
				}
				n++
			}
		})
	})
	b.Run("parse", func(b *testing.B) {
		measure(b, "parse", func() int { return countRows(b, f, "rows-1m.csv") })
	})
	b.Run("heap", func(b *testing.B) {
		reportHeap(b, func() { countRows(b, f, "rows-1m.csv") })
	})
}

// reportHeap reports the peak heap in use while fn runs once per b.N, apart
// from the speed runs (sampling the heap stops the world).
func reportHeap(b *testing.B, fn func()) {
	var peak uint64
	for range b.N {
		peak = max(peak, peakHeap(fn))
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

// writeBenchXLSX converts the CSV into benchXLSX once.
func writeBenchXLSX(b *testing.B) {
	if _, err := os.Stat(benchXLSX); err == nil {
		return
	}
	in := benchFile(b, benchCSV)
	if err := os.MkdirAll(filepath.Dir(benchXLSX), 0o755); err != nil {
		b.Fatal(err)
	}
	x := excelize.NewFile()
	defer x.Close()
	date, err := x.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		b.Fatal(err)
	}
	sw, err := x.NewStreamWriter("Sheet1")
	if err != nil {
		b.Fatal(err)
	}
	r := csv.NewReader(in)
	for row := 1; ; row++ {
		rec, err := r.Read()
		if err != nil {
			break
		}
		cells := make([]any, len(rec))
		for i, v := range rec {
			cells[i] = v
			if row > 1 {
				switch i {
				case 0, 6:
					if f, err := strconv.ParseFloat(v, 64); err == nil {
						cells[i] = f
					}
				case 5:
					if t, err := time.Parse("2006-01-02", v); err == nil {
						cells[i] = excelize.Cell{StyleID: date, Value: t}
					}
				}
			}
		}
		cell, _ := excelize.CoordinatesToCellName(1, row)
		if err := sw.SetRow(cell, cells); err != nil {
			b.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := x.SaveAs(benchXLSX); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkXLSX1M(b *testing.B) {
	writeBenchXLSX(b)
	f := benchFile(b, benchXLSX)
	b.Run("excelize", func(b *testing.B) {
		measure(b, "excelize", func() int {
			x, err := excelize.OpenFile(benchXLSX)
			if err != nil {
				b.Fatal(err)
			}
			defer x.Close()
			rows, err := x.Rows("Sheet1")
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for rows.Next() {
				if _, err := rows.Columns(); err != nil {
					b.Fatal(err)
				}
				n++
			}
			rows.Close()
			return n
		})
	})
	b.Run("parse", func(b *testing.B) {
		measure(b, "parse", func() int { return countRows(b, f, "rows-1m.xlsx") })
	})
	b.Run("heap", func(b *testing.B) {
		reportHeap(b, func() { countRows(b, f, "rows-1m.xlsx") })
	})
}
