package ingest

import (
	"bytes"
	"io"
	"os"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/intakehq/intake/internal/benchrun/rawlimit"
)

// BenchmarkDecodeChunk decodes the chunk bodies of the shared 100k-row
// bench file (the widget's JSON, 5,000 rows a chunk) into a reused cell
// table, as PutChunk does; it reports rows per second (one core: -cpu 1).
func BenchmarkDecodeChunk(b *testing.B) {
	f, err := os.Open("/tmp/bench-data/rows-100k.csv")
	if err != nil {
		b.Skipf("benchmark data missing: %v", err)
	}
	defer f.Close()
	header, next, err := rawlimit.CSVRecords(f)
	if err != nil {
		b.Fatal(err)
	}
	gz, rows, err := rawlimit.GzipChunks(next, 5000)
	if err != nil {
		b.Fatal(err)
	}
	bodies := make([][]byte, len(gz))
	for i, g := range gz {
		zr, err := gzip.NewReader(bytes.NewReader(g))
		if err != nil {
			b.Fatal(err)
		}
		if bodies[i], err = io.ReadAll(zr); err != nil {
			b.Fatal(err)
		}
	}
	var t cellTable
	b.ResetTimer()
	for range b.N {
		for _, body := range bodies {
			if _, err := decodeChunk(body, len(header), &t, DefaultMaxChunkRows); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
