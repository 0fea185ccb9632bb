package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/intakehq/intake/internal/cputime"
	"github.com/intakehq/intake/internal/server/servertest"
)

// The requests of issue 15: anyone who can open an upload (an importer's
// public key is enough) sends chunks built to cost the server far more
// memory than they cost to send.
type amplification struct {
	name     string
	encoding string
	body     []byte
	// maxGrowth bounds the growth of resident memory while 20 are answered,
	// maxCPU the process CPU time spent on each (server and client, the
	// normal upload's share taken out): a cost that does not depend on how
	// busy the machine is, as a wall time would.
	maxGrowth int64
	maxCPU    time.Duration
}

// hangGuard is the longest any request of the test may take: only there to
// stop a hung server, not a bound on its speed.
const hangGuard = 2 * time.Minute

// nullChunk is a chunk of [null,null,null] rows, about size bytes of JSON:
// the most cells, and so the most decoding memory, a byte of JSON can ask for
// in the test template's three columns.
func nullChunk(size int) []byte {
	const row = `[null,null,null],`
	var b bytes.Buffer
	b.Grow(size + 64)
	b.WriteString(`{"first_row":0,"rows":[`)
	for b.Len()+len(row) < size {
		b.WriteString(row)
	}
	b.WriteString(`[null,null,null]]}`)
	return b.Bytes()
}

func amplifications() []amplification {
	huge := gz(nullChunk(64 << 20)) // 159 KiB that inflate to 64 MiB, 3.9 million rows
	lying := bytes.Clone(huge)
	binary.LittleEndian.PutUint32(lying[len(lying)-4:], 1<<20) // the trailer claims 1 MiB
	// The first two are refused before anything is inflated, at the cost of
	// receiving 159 KiB (about 2 ms of CPU time each here; inflating one
	// costs tens of milliseconds). The third inflates (one or two at a time,
	// the others wait or get 429) and is refused at row 10,001: at most the
	// inflate of 30 MiB (about 0.1 s of CPU time here, the bound of
	// MaxInflatedBytes) and the decode of 10,001 rows. The fourth costs what
	// it sends, 8 MiB each, to the client and the server: the decode memory
	// budget (128 MiB) holds them, and Go's collector lets the heap grow to
	// about twice what is live.
	return []amplification{
		{"64 MiB of null rows, gzip'd", "gzip", huge, 100 << 20, 10 * time.Millisecond},
		{"the same, its gzip trailer claiming 1 MiB", "gzip", lying, 100 << 20, 10 * time.Millisecond},
		{"30 MiB of null rows, within the inflate bound", "gzip", gz(nullChunk(30 << 20)), 200 << 20, 150 * time.Millisecond},
		{"8 MiB of null rows, not compressed", "", nullChunk(8<<20 - 64), 2*128<<20 + 32<<20, 150 * time.Millisecond},
	}
}

// amplificationFigures is what one wave of requests cost and got.
type amplificationFigures struct {
	statuses map[int]int
	slowest  time.Duration // wall time, from the first byte sent: logged, not bounded
	// cpu is the process CPU time the wave took, normalCPU the share of it
	// that the normal upload's chunks answered during the wave are reckoned
	// to have taken (their count × the CPU time of one, measured alone).
	cpu          time.Duration
	normalCPU    time.Duration
	baseRSS      int64 // bytes, before the wave
	peakRSS      int64 // bytes, the highest seen during the wave
	normalChunks int   // chunks of the normal upload sent during the wave
	normalBusy   int   // of which answered 429 first (and sent again)
	normalP50    time.Duration
	normalP99    time.Duration
}

// procStatus reads a field of /proc/self/status, in bytes.
func procStatus(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return -1
}

// sendWave sends n copies of a at once, each on its own import, while a
// normal upload keeps sending chunks of 250 valid rows, and measures the
// process's resident memory throughout.
func sendWave(t *testing.T, env *servertest.Env, imp importer, a amplification, n int) amplificationFigures {
	t.Helper()
	cols := []string{"name", "email", "amount"}
	ups := make([]upload, n)
	for i := range ups {
		ups[i] = createUpload(t, env, imp.Key, cols, 10_000_000) // the most an import may announce
	}
	normal := createUpload(t, env, imp.Key, cols, 1_000_000)
	// sendNormal sends chunk c of the normal upload until it is taken,
	// backing off on 429 as the widget does (the test need not wait a
	// whole second), and counts the 429s.
	var busy atomic.Int64
	sendNormal := func(c int) error {
		body := gz(chunkBody(c*250, makeRows(250, fmt.Sprintf("normal%d", c))))
		for {
			code, retryAfter, err := put(env, normal, c, "gzip", body)
			if err != nil {
				return err
			}
			if code == http.StatusTooManyRequests && retryAfter != "" {
				busy.Add(1)
				time.Sleep(100 * time.Millisecond)
				continue
			}
			if code != http.StatusOK {
				return fmt.Errorf("normal chunk %d: %d", c, code)
			}
			return nil
		}
	}
	// The CPU time of a normal chunk alone, to take the normal upload's
	// share out of the wave's.
	const alone = 10
	runtime.GC()
	cpu0, _ := cputime.Process()
	for c := range alone {
		if err := sendNormal(c); err != nil {
			t.Fatalf("the normal upload failed before the wave: %v", err)
		}
	}
	cpu1, _ := cputime.Process()
	perNormal := (cpu1 - cpu0) / alone

	runtime.GC()
	debug.FreeOSMemory()
	fig := amplificationFigures{statuses: map[int]int{}, baseRSS: procStatus("VmRSS")}
	// Reset the peak (VmHWM) where the kernel lets us; the sampler below
	// covers it where it does not.
	resetPeak := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	stopSampling := make(chan struct{})
	sampled := make(chan int64)
	go func() {
		peak := int64(0)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			peak = max(peak, procStatus("VmRSS"))
			select {
			case <-stopSampling:
				sampled <- peak
				return
			case <-tick.C:
			}
		}
	}()

	waveDone := make(chan struct{})
	var normalLat []time.Duration
	var normalErr error
	var normalSent atomic.Int64 // chunks of the normal upload taken
	normalSent.Store(alone)
	normalDone := make(chan struct{})
	go func() {
		defer close(normalDone)
		for c := alone; ; c++ {
			select {
			case <-waveDone:
				if c >= alone+20 {
					return
				}
			default:
			}
			start := time.Now()
			if normalErr = sendNormal(c); normalErr != nil {
				return
			}
			normalLat = append(normalLat, time.Since(start))
			normalSent.Add(1)
		}
	}()

	var mu sync.Mutex
	var wg sync.WaitGroup
	ready := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-ready
			start := time.Now()
			code, retryAfter, err := put(env, ups[i], 0, a.encoding, a.body)
			took := time.Since(start)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				fig.statuses[-1]++
				return
			}
			if code == http.StatusTooManyRequests && retryAfter == "" {
				fig.statuses[-429]++ // 429 without Retry-After
				return
			}
			fig.statuses[code]++
			fig.slowest = max(fig.slowest, took)
		})
	}
	cpuStart, _ := cputime.Process()
	normalStart := normalSent.Load()
	close(ready)
	wg.Wait()
	cpuEnd, _ := cputime.Process()
	fig.cpu = cpuEnd - cpuStart
	fig.normalCPU = time.Duration(normalSent.Load()-normalStart) * perNormal
	close(waveDone)
	<-normalDone
	fig.normalChunks, fig.normalBusy = int(normalSent.Load()), int(busy.Load())
	close(stopSampling)
	fig.peakRSS = <-sampled
	if hwm := procStatus("VmHWM"); resetPeak && hwm > fig.peakRSS {
		fig.peakRSS = hwm
	}
	if normalErr != nil {
		t.Fatalf("the normal upload failed during the wave: %v", normalErr)
	}
	slices.Sort(normalLat)
	fig.normalP50 = normalLat[len(normalLat)/2]
	fig.normalP99 = normalLat[min(len(normalLat)-1, len(normalLat)*99/100)]
	// The normal upload completes: every row it sent, once.
	var done struct{ Rows int64 }
	if code := env.Do(t, "POST", "/api/v1/uploads/"+normal.ImportID+"/complete", normal.UploadToken,
		map[string]any{"chunks": fig.normalChunks, "rows": fig.normalChunks * 250}, &done); code != http.StatusOK || done.Rows != int64(fig.normalChunks*250) {
		t.Fatalf("complete the normal upload: %d, %d rows", code, done.Rows)
	}
	return fig
}

// put sends chunk n and returns the status, the Retry-After header, and
// checks that an error answer is the JSON error of the API. It gives up
// after hangGuard.
func put(env *servertest.Env, up upload, n int, encoding string, body []byte) (int, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "PUT", fmt.Sprintf("%s/api/v1/uploads/%s/chunks/%d", env.URL, up.ImportID, n), bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+up.UploadToken)
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error struct{ Code, Message string }
		}
		if err := json.Unmarshal(b, &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
			return resp.StatusCode, "", fmt.Errorf("status %d without a JSON error", resp.StatusCode)
		}
	}
	return resp.StatusCode, resp.Header.Get("Retry-After"), nil
}

// TestAmplificationBounded (issue 15): 20 of each amplification request at
// once, against a real server on loopback with the default configuration,
// are each refused (413, 422 or 429 with Retry-After) at a bounded CPU cost
// (process CPU time, not wall time: the machine may be shared and busy);
// the process's resident memory grows by less than 100 MiB while the first
// (before the fix one such request took 1.1 GiB), and less than twice the
// decode memory budget for any; and a normal upload sending at the same
// time goes on, and completes.
//
// It measures the whole test process, so it does not run in parallel with
// other tests (top-level tests marked parallel start after it).
func TestAmplificationBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("sends about 60 MiB of requests")
	}
	if procStatus("VmRSS") < 0 {
		t.Skip("no /proc/self/status")
	}
	if _, ok := cputime.Process(); !ok {
		t.Skip("no process CPU time on this system")
	}
	env := servertest.Start(t, servertest.Options{})
	imp := createImporter(t, env, env.APIKey, nil)
	// Creating an import announcing 10^12 rows is refused first.
	var e struct{ Error struct{ Code string } }
	if code := env.Do(t, "POST", "/api/v1/uploads", "", map[string]any{"importer": imp.Key, "columns": []string{"name", "email", "amount"},
		"source": map[string]any{"format": "csv", "size_bytes": 1}, "rows": int64(1_000_000_000_000)}, &e); code != http.StatusRequestEntityTooLarge || e.Error.Code != "too_many_rows" {
		t.Fatalf("announce 10^12 rows: %d %s", code, e.Error.Code)
	}
	for _, a := range amplifications() {
		t.Run(a.name, func(t *testing.T) {
			fig := sendWave(t, env, imp, a, 20)
			growth := fig.peakRSS - fig.baseRSS
			perRequest := (fig.cpu - fig.normalCPU) / 20
			t.Logf("%d bytes sent ×20: statuses %v; CPU %v (normal upload's share %v), %v a request; slowest %v wall; RSS %d → peak %d MiB (+%d MiB); normal upload: %d chunks, p50 %v, p99 %v (retries included), %d answered 429 first",
				len(a.body), fig.statuses, fig.cpu.Round(time.Millisecond), fig.normalCPU.Round(time.Millisecond), perRequest.Round(time.Millisecond),
				fig.slowest.Round(time.Millisecond), fig.baseRSS>>20, fig.peakRSS>>20, growth>>20,
				fig.normalChunks, fig.normalP50.Round(time.Millisecond), fig.normalP99.Round(time.Millisecond), fig.normalBusy)
			for code, count := range fig.statuses {
				if code != http.StatusRequestEntityTooLarge && code != http.StatusUnprocessableEntity && code != http.StatusTooManyRequests {
					t.Errorf("%d requests answered %d, want 413, 422 or 429 with Retry-After", count, code)
				}
			}
			if perRequest > a.maxCPU {
				t.Errorf("each request cost %v of CPU time, want under %v", perRequest, a.maxCPU)
			}
			if growth > a.maxGrowth {
				t.Errorf("resident memory grew by %d MiB, want under %d MiB", growth>>20, a.maxGrowth>>20)
			}
		})
	}
}
