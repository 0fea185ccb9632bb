package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake/internal/benchrun/rawlimit"
	"github.com/intakehq/intake/internal/ingest"
	"github.com/intakehq/intake/internal/server"
	"github.com/intakehq/intake/internal/server/servertest"
)

// benchData is the shared, seeded benchmark data set (see docs/benchmarks.md):
// generate it with `node ../shared/bench/gen-data.mjs --out /tmp/bench-data`.
func benchData(b *testing.B, name string) string {
	dir := os.Getenv("INTAKE_BENCH_DATA")
	if dir == "" {
		dir = "/tmp/bench-data"
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		b.Skipf("benchmark data %s missing: node ../shared/bench/gen-data.mjs --out %s", p, dir)
	}
	return p
}

// gzipChunks reads a CSV and returns its header and the rows as gzip'd JSON
// chunk bodies of perChunk rows, exactly as the widget sends them.
func gzipChunks(b *testing.B, path string, perChunk int) (header []string, bodies [][]byte, rows int) {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	header, next, err := rawlimit.CSVRecords(f)
	if err != nil {
		b.Fatal(err)
	}
	bodies, rows, err = rawlimit.GzipChunks(next, perChunk)
	if err != nil {
		b.Fatal(err)
	}
	return header, bodies, rows
}

// uniqueTemplate is the demo template with phone typed as text: its unique
// columns without the cost of phone parsing.
var uniqueTemplate = strings.Replace(string(server.DemoTemplate), `"type":"phone","default_region":"US"`, `"type":"text"`, 1)

// BenchmarkIngest measures the ingest path in embedded mode (SQLite + file
// blobs): gzip → JSON decode → validate against the 10-column demo template
// (unique id and email, phone, date, number, country, boolean) → seal →
// write blob → chunk row, and the completion, where the claims of unique
// columns are merged. Run with -cpu 1 for the one-core figure. The
// "/postgres" cases run on PostgreSQL (INTAKE_TEST_DATABASE_URL) and file
// blobs; their CPU time is the server process's, not PostgreSQL's. It
// reports rows/s, rows per CPU-second, and how much the live heap grew while
// ingesting (flat when memory does not grow with the rows of an import);
// beside them the raw limit of the same run (rawReadRate: inflating alone)
// and the share of it ingest reaches ("of-raw"), the figure that compares
// across machines.
func BenchmarkIngest(b *testing.B) {
	for _, tc := range []struct {
		name, size, template string
		postgres             bool
	}{
		{"demo/100k", "100k", string(server.DemoTemplate), false},
		{"demo/1m", "1m", string(server.DemoTemplate), false},
		{"demo/1m/postgres", "1m", string(server.DemoTemplate), true},
		{"unique/1m", "1m", uniqueTemplate, false},
		{"unique/1m/postgres", "1m", uniqueTemplate, true},
		{"typed/100k", "100k", servertest.TypedTemplate, false},
		{"typed/1m", "1m", servertest.TypedTemplate, false},
		{"typed/1m/postgres", "1m", servertest.TypedTemplate, true},
	} {
		size := tc.size
		b.Run(tc.name, func(b *testing.B) {
			if tc.postgres && os.Getenv("INTAKE_TEST_DATABASE_URL") == "" {
				b.Skip("INTAKE_TEST_DATABASE_URL not set (scripts/postgres.sh start)")
			}
			header, bodies, rows := gzipChunks(b, benchData(b, "rows-"+size+".csv"), 5000)
			env := servertest.Start(b, servertest.Options{Postgres: tc.postgres})
			var im struct{ Key string }
			env.Do(b, "POST", "/api/v1/importers", env.APIKey, map[string]any{"name": "bench", "allow_invalid": true,
				"template": json.RawMessage(tc.template)}, &im)
			ctx := context.Background()
			// Live heap after a forced GC, sampled while ingesting, minus the
			// live heap before: what the server holds, apart from the
			// benchmark's own copy of the request bodies. It includes the
			// working memory of one chunk that ingest keeps for the next
			// (~4 MB for 5,000 rows), the same whatever the import's size.
			var ms runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms)
			base, peak := ms.HeapAlloc, uint64(0)
			cpu0 := cpuTime()
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				var up struct {
					ImportID    string `json:"import_id"`
					UploadToken string `json:"upload_token"`
				}
				env.Do(b, "POST", "/api/v1/uploads", "", map[string]any{"importer": im.Key, "columns": header,
					"source": map[string]any{"format": "csv", "size_bytes": 1}, "rows": rows}, &up)
				b.StartTimer()
				for n, body := range bodies {
					if _, err := env.Server.Ingest.PutChunk(ctx, up.ImportID, up.UploadToken, n, "gzip", bytes.NewReader(body)); err != nil {
						b.Fatal(err)
					}
					if n%20 == 19 {
						b.StopTimer()
						runtime.GC()
						runtime.ReadMemStats(&ms)
						peak = max(peak, ms.HeapAlloc-min(ms.HeapAlloc, base))
						b.StartTimer()
					}
				}
				if _, err := env.Server.Ingest.Complete(ctx, up.ImportID, up.UploadToken, ingest.CompleteRequest{Chunks: len(bodies), Rows: int64(rows)}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			// The machine may be shared: rows per CPU-second of this process
			// is the one-core figure that other load does not distort.
			perCPU := float64(rows) * float64(b.N) / (cpuTime() - cpu0).Seconds()
			b.ReportMetric(perCPU, "rows/cpu-s")
			b.ReportMetric(float64(peak)/(1<<20), "live-heap-growth-MB")
			// The raw limit, measured in the same run on the same bodies, so
			// that the ratio carries to another machine where the absolute
			// figure does not.
			raw := rawReadRate(b, bodies, rows)
			b.ReportMetric(raw, "raw-rows/cpu-s")
			b.ReportMetric(perCPU/raw, "of-raw")
		})
	}
}

// rawReadRate is a ceiling no ingest can pass (rawlimit.Inflate: only
// inflating the request bodies), in rows per CPU-second, measured outside
// the benchmark's timer.
func rawReadRate(b *testing.B, bodies [][]byte, rows int) float64 {
	b.StopTimer()
	defer b.StartTimer()
	c, err := rawlimit.Inflate(bodies)
	if err != nil {
		b.Fatal(err)
	}
	return c.PerCPU(float64(rows))
}

// cpuTime is the CPU time the process has used so far (all threads), 0
// where the system cannot tell (the per-CPU-second figures then read 0).
func cpuTime() time.Duration { return rawlimit.CPU() }
