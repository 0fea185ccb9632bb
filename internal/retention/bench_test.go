package retention_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intakehq/intake/internal/cputime"
)

// BenchmarkPurge purges 100,000 expired imports (one sealed chunk each;
// INTAKE_BENCH_PURGE_IMPORTS changes the number) on SQLite with file blobs,
// through the server's retention service, while one client keeps uploading
// 100-row chunks to the same server. It reports imports purged per second
// and the upload latency percentiles during the purge (and before it, as a
// baseline); alone, also the CPU time per import; beside the rate, the raw
// limit of the same run (rawUnlinkRate) and the share of it reached
// ("of-raw"), the figure that compares across machines. Run it with
// -benchtime=1x: one iteration seeds and purges everything.
func BenchmarkPurge(b *testing.B) {
	n := 100000
	if v, err := strconv.Atoi(os.Getenv("INTAKE_BENCH_PURGE_IMPORTS")); err == nil && v > 0 {
		n = v
	}
	for _, load := range []bool{false, true} {
		b.Run(map[bool]string{false: "alone", true: "uploading"}[load], func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				e := start(b, false)
				importerID, key := e.importer(b, "bench")
				seedExpired(b, e.Server.Store, e.Server.Vault, e.Server.Bucket, e.OrgID, importerID, n, time.Now())
				up := e.create(b, key, 5_000_000, nil) // under the server-wide bound; the uploads send far fewer
				b.StopTimer()
				rate, lat, base := purgeUnderLoad(b, e, up, n, load)
				b.ReportMetric(rate, "imports/s")
				// The raw limit of the same run: each purged import deletes
				// one blob file, so no purge passes the rate at which this
				// file system unlinks as many files.
				raw := rawUnlinkRate(b, e.DataDir, n)
				b.ReportMetric(raw, "raw-unlinks/s")
				b.ReportMetric(rate/raw, "of-raw")
				if load {
					b.ReportMetric(ms(base, 0.99), "baseline-p99-ms")
					b.ReportMetric(float64(len(lat)), "uploads")
					b.ReportMetric(ms(lat, 0.50), "upload-p50-ms")
					b.ReportMetric(ms(lat, 0.99), "upload-p99-ms")
					b.ReportMetric(ms(lat, 1), "upload-max-ms")
				}
			}
		})
	}
}

// rawUnlinkRate creates n small files beside the data and returns how many
// the file system deletes per second, timed over the deletions only.
func rawUnlinkRate(b *testing.B, dataDir string, n int) float64 {
	dir := filepath.Join(dataDir, "raw-limit")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	paths := make([]string, n)
	body := make([]byte, 1024)
	for i := range paths {
		paths[i] = filepath.Join(dir, strconv.Itoa(i))
		if err := os.WriteFile(paths[i], body, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	t0 := time.Now()
	for _, p := range paths {
		if err := os.Remove(p); err != nil {
			b.Fatal(err)
		}
	}
	return float64(n) / time.Since(t0).Seconds()
}

func ms(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return float64(sorted[min(int(q*float64(len(sorted))), len(sorted)-1)]) / float64(time.Millisecond)
}

// purgeUnderLoad purges the n expired imports of e, while uploading chunks
// to up when load is set, and returns the purge rate, the sorted upload
// latencies during the purge and, as a baseline, those of two seconds of
// uploads before it.
func purgeUnderLoad(b *testing.B, e *env, up upload, n int, load bool) (rate float64, lat, base []time.Duration) {
	next := 0
	uploads := func(stop <-chan struct{}) (lat []time.Duration) {
		const perChunk = 100
		for ; ; next++ {
			select {
			case <-stop:
				slices.Sort(lat)
				return lat
			default:
			}
			var body strings.Builder
			fmt.Fprintf(&body, `{"first_row":%d,"rows":[`, next*perChunk)
			for i := range perChunk {
				if i > 0 {
					body.WriteByte(',')
				}
				fmt.Fprintf(&body, `["person %d","p%d@example.com"]`, next*perChunk+i, next*perChunk+i)
			}
			body.WriteString("]}")
			t0 := time.Now()
			code, _ := e.put(b, up, next, body.String())
			lat = append(lat, time.Since(t0))
			if code != http.StatusOK {
				b.Errorf("chunk %d: %d", next, code)
				return nil
			}
		}
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	if load {
		base = uploads(timeAfter(2 * time.Second))
		wg.Go(func() { lat = uploads(stop) })
	}
	t0, cpu0 := time.Now(), cpuTime()
	r, err := e.Server.Retention.PurgeDue(context.Background())
	elapsed := time.Since(t0)
	if !load {
		b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(n), "cpu-µs/import")
	}
	close(stop)
	wg.Wait()
	if err != nil || r.Imports != n {
		b.Fatalf("purged %+v, %v; want %d imports", r, err, n)
	}
	return float64(n) / elapsed.Seconds(), lat, base
}

// cpuTime is the CPU time the process has used so far (all threads), 0
// where the system cannot tell (the per-CPU-second figures then read 0).
func cpuTime() time.Duration {
	d, _ := cputime.Process()
	return d
}

func timeAfter(d time.Duration) <-chan struct{} {
	c := make(chan struct{})
	time.AfterFunc(d, func() { close(c) })
	return c
}
