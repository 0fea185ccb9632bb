package phone

import (
	"encoding/csv"
	"errors"
	"io"
	"os"
	"slices"
	"sync"
	"testing"

	"github.com/intakehq/intake/internal/cputime"
)

// benchPhones is the phone column of the shared bench data set
// (/work/shared/bench/gen-data.mjs; INTAKE_BENCH_DATA points at another
// copy), the same cells internal/validate's benchmarks check.
var benchPhones = sync.OnceValues(func() ([]string, error) {
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
	head, err := r.Read()
	if err != nil {
		return nil, err
	}
	col := slices.Index(head, "phone")
	if col < 0 {
		return nil, errors.New("no phone column")
	}
	var out []string
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, rec[col])
	}
})

// BenchmarkE164 checks the bench data's phone column with no default
// region (ZZ, as internal/validate's benchmarks) and with US (the demo
// template's): "table" is E164, the fast path with the library behind it,
// "library" the library alone, in the same run. cpu-cells/s is cells per
// second of the process's CPU time.
func BenchmarkE164(b *testing.B) {
	cells, err := benchPhones()
	if err != nil {
		b.Skipf("no benchmark data (%v); run node /work/shared/bench/gen-data.mjs --out /tmp/bench-data --sizes 1m --no-xlsx", err)
	}
	for _, region := range []string{"ZZ", "US"} {
		p, err := NewParser(region)
		if err != nil {
			b.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			f    func(string) (string, bool)
		}{{"table", p.E164}, {"library", p.Library}} {
			b.Run(tc.name+"/"+region, func(b *testing.B) {
				b.ReportAllocs()
				cpu0, cpuOK := cputime.Process()
				b.ResetTimer()
				valid := 0
				for i := 0; i < b.N; i++ {
					if _, ok := tc.f(cells[i%len(cells)]); ok {
						valid++
					}
				}
				b.StopTimer()
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cells/s")
				if cpu1, ok := cputime.Process(); ok && cpuOK {
					b.ReportMetric(float64(b.N)/(cpu1-cpu0).Seconds(), "cpu-cells/s")
				}
				if valid == 0 {
					b.Fatal("no valid number")
				}
			})
		}
	}
}
