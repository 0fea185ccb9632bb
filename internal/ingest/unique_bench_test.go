package ingest

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/intakehq/intake/internal/cputime"
	"github.com/intakehq/intake/internal/store"
	"github.com/intakehq/intake/internal/store/storetest"
)

// BenchmarkClaims measures unique claims end to end on one core: 500,000
// rows of two unique columns (a million values, 2% of them repeated from
// earlier chunks) in chunks of 5,000 rows, each value hashed and checked inside its
// chunk (chunkClaims, as the engine asks), each chunk's claims written in its
// transaction, then every claim merged at completion. It reports values per
// CPU-second of the process and, on PostgreSQL, per second of wall time
// (PostgreSQL's own CPU is not the process's). Beside them, in the same run,
// the raw limit: the values per CPU-second of only hashing them and
// inserting them in one in-memory table, the exact check with no durability
// at all ("of-map" is the share of it that claims reach).
func BenchmarkClaims(b *testing.B) {
	const rowsPerChunk, chunks = 5000, 100
	values := make([][2]string, rowsPerChunk*chunks)
	repeated := 0
	for i := range values {
		j := i
		if n := i / rowsPerChunk; n > 0 && i%50 == 49 { // the values of a row of an earlier chunk
			if j = i * 7 % (n * rowsPerChunk); j%50 == 49 {
				j--
			}
			repeated++
		}
		values[i] = [2]string{fmt.Sprintf("CUST-%08d", j), fmt.Sprintf("first.last%d@example.com", j)}
	}
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			url := ""
			if backend == "postgres" {
				if url = os.Getenv("INTAKE_TEST_DATABASE_URL"); url == "" {
					b.Skip("INTAKE_TEST_DATABASE_URL not set (scripts/postgres.sh start)")
				}
				url = storetest.PostgresURL(b)
			}
			r := newReplicas(b, url, 1)
			svc := r.svcs[0]
			ctx := context.Background()
			b.ResetTimer()
			cpu0, wall0 := cpuTime(), time.Now()
			for range b.N {
				b.StopTimer()
				req := CreateRequest{Importer: r.keys[true], Columns: []string{"id", "email", "name"}, Rows: int64(len(values))}
				req.Source.Format = "csv"
				up, err := svc.Create(ctx, req)
				if err != nil {
					b.Fatal(err)
				}
				im, err := svc.o.Store.ImportByID(ctx, up.ImportID)
				if err != nil {
					b.Fatal(err)
				}
				key, err := svc.o.Vault.DataKey(ctx, im.ID, im.WrappedKey)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				dups := 0
				for n := range chunks {
					u := newChunkClaims(key, 2*rowsPerChunk, nil, nil)
					for i := n * rowsPerChunk; i < (n+1)*rowsPerChunk; i++ {
						u.Claim(0, values[i][0], i)
						u.Claim(1, values[i][1], i)
					}
					w, err := svc.o.Store.BeginChunk(ctx, im.ID)
					if err != nil {
						b.Fatal(err)
					}
					err = w.Put(store.Chunk{N: n, FirstRow: int64(n * rowsPerChunk), Rows: rowsPerChunk, BodyHash: []byte{1}, BlobKey: "k", Claims: u.claims})
					if err == nil {
						err = w.Commit()
					}
					if err != nil {
						b.Fatal(err)
					}
				}
				count := func(_ context.Context, _ store.Import, found []store.ChunkDuplicates) ([][]byte, error) {
					for _, f := range found {
						dups += len(f.Rows)
					}
					return make([][]byte, len(found)), nil
				}
				if _, err := svc.o.Store.CompleteImport(ctx, im.ID, chunks, int64(len(values)), 0, 30, count); err != nil {
					b.Fatal(err)
				}
				if want := 2 * repeated; dups != want {
					b.Fatalf("%d duplicates found, want %d", dups, want)
				}
			}
			cpu, wall := (cpuTime() - cpu0).Seconds(), time.Since(wall0).Seconds()
			b.StopTimer()
			n := float64(2 * len(values) * b.N)
			b.ReportMetric(n/cpu, "values/cpu-s")
			b.ReportMetric(n/wall, "values/s")
			raw := rawClaimRate(values)
			b.ReportMetric(raw, "map-values/cpu-s")
			b.ReportMetric(n/cpu/raw, "of-map")
		})
	}
}

// rawClaimRate is the values per CPU-second of hashing the values and
// inserting them in one in-memory table, chunkClaims' own, grown as it
// fills (best of three).
func rawClaimRate(values [][2]string) float64 {
	best := 0.0
	for range 3 {
		cpu0 := cpuTime()
		u := &chunkClaims{k0: 1, k1: 2}
		for i, v := range values {
			u.Claim(0, v[0], i)
			u.Claim(1, v[1], i)
		}
		if d := (cpuTime() - cpu0).Seconds(); d > 0 {
			best = max(best, float64(2*len(values))/d)
		}
	}
	return best
}

func cpuTime() time.Duration {
	d, _ := cputime.Process()
	return d
}
