package widget_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/intakehq/intake/internal/browsertest"
	"github.com/intakehq/intake/internal/cputime"
	"github.com/intakehq/intake/internal/server"
)

// TestBenchWidget is the widget benchmark (scripts/bench-widget.sh sets its
// variables): the demo importer on the real server, the benchmark data set,
// a fresh browser per measurement, Papa Parse alone in the same run as the
// floor. It logs one line per run and the medians, and each phase (parsed,
// grid ready, every cell checked, and with INTAKE_WIDGET_BENCH_UPLOAD set,
// stored on the server) beside Papa alone, with where the upload's seconds
// went.
func TestBenchWidget(t *testing.T) {
	file, papaJS := os.Getenv("INTAKE_WIDGET_BENCH_FILE"), os.Getenv("INTAKE_WIDGET_BENCH_PAPA")
	if file == "" || papaJS == "" {
		t.Skip("benchmark: run scripts/bench-widget.sh")
	}
	runs, _ := strconv.Atoi(os.Getenv("INTAKE_WIDGET_BENCH_RUNS"))
	runs = max(runs, 1)
	info, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	papa, err := os.ReadFile(papaJS)
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, 0)
	floor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/papa.js" {
			w.Header().Set("Content-Type", "text/javascript")
			w.Write(papa)
			return
		}
		fmt.Fprint(w, `<!doctype html><input type="file"><script src="/papa.js"></script>`)
	}))
	t.Cleanup(floor.Close)

	// The benchmark data set's columns, as the demo importer has them, but
	// without the demo's row and size limits.
	// allow_invalid: the data set's phones are mostly invalid for
	// libphonenumber, and the upload is timed too.
	key := s.addImporterTemplate(t, server.DemoTemplate, map[string]any{"max_rows": 0, "max_file_bytes": 0, "allow_invalid": true})
	if benchE2E() {
		benchE2EvsStored(t, s, key, file, runs)
		return
	}
	var papaRuns, widgetRuns []benchResult
	// Papa Parse reads text only: for a workbook there is no floor to compare with.
	workbook := strings.HasSuffix(strings.ToLower(file), ".xlsx")
	for run := range runs {
		var p benchResult
		if !workbook {
			p = benchPapa(t, floor.URL, file)
		}
		w := benchFlow(t, s, s.URL+"/i/"+key, file)
		t.Logf("run %d: papa %.2fs heap %s (%s with array buffers and external strings) | widget ready %.2fs, all checked %.2fs, heap %s (page %s + worker %s; %s with array buffers and external strings), longest task loading %dms, scrolling %dms (%d long), slowest frame %dms, upload %.1fs",
			run+1, p.ready, mb(p.heap), mb(p.heapAll), w.ready, w.checked, mb(w.heap), mb(w.pageHeap), mb(w.workerHeap), mb(w.heapAll), w.longestLoad, w.longestScroll, w.longScroll, w.slowestFrame, w.upload)
		logPhases(t, fmt.Sprintf("run %d", run+1), p, w)
		papaRuns, widgetRuns = append(papaRuns, p), append(widgetRuns, w)
	}
	p, w := median(papaRuns), median(widgetRuns)
	logPhases(t, fmt.Sprintf("MEDIAN of %d", runs), p, w)
	t.Logf("MEDIAN of %d on %s (%s): Papa alone %.2fs, peak heap %s; widget grid ready %.2fs (%.2f× Papa), every cell checked %.2fs (%.2f×), peak heap %s (%.1f× file; %s, %.1f× with array buffers and external strings), longest main-thread task while loading %dms, while scrolling %dms, slowest scroll frame %dms, upload to confirmation %.1fs",
		runs, file, mb(float64(info.Size())), p.ready, mb(p.heap), w.ready, w.ready/p.ready, w.checked, w.checked/p.ready, mb(w.heap), w.heap/float64(info.Size()), mb(w.heapAll), w.heapAll/float64(info.Size()), w.longestLoad, w.longestScroll, w.slowestFrame, w.upload)
}

// logPhases logs the widget's phases from the file chosen, each beside
// Papa Parse alone (parsing the same file, in the same run) and the ratio,
// and where the upload's time went.
func logPhases(t *testing.T, what string, p, w benchResult) {
	t.Helper()
	ratio := func(v float64) string {
		if p.ready == 0 {
			return "—"
		}
		return fmt.Sprintf("%.2f×", v/p.ready)
	}
	t.Logf("%s phases from the file chosen: Papa Parse alone %.2fs | widget parsed %.2fs (%s), grid ready %.2fs (%s), every cell checked %.2fs (%s; checking after the parse %.2fs)",
		what, p.ready, w.parsed, ratio(w.parsed), w.ready, ratio(w.ready), w.checked, ratio(w.checked), w.checked-w.parsed)
	if p.cpu > 0 {
		// CPU seconds change less than wall clock on a shared machine.
		t.Logf("%s browser CPU (all of Chromium's processes): Papa Parse alone %.2fs | widget from the file chosen to every cell checked %.2fs (%.2f×)",
			what, p.cpu, w.checkedCPU, w.checkedCPU/p.cpu)
	}
	if w.upload == 0 {
		return
	}
	by := ""
	if w.browserCPUBy != "" {
		by = " (" + w.browserCPUBy + ")"
	}
	t.Logf("%s stored on the server %.2fs after the file was chosen (%s): every cell checked %.2fs + submit to stored %.2fs = first chunk sent %.2fs after submit, chunks at the server for %.2fs (%d chunks, %d gzip'd, %.0f MB as sent, %.2fs of requests summed, at most %d at once, refused %s), last chunk to stored %.2fs (completion %.2fs); CPU during the upload: server (this Go process) %.2fs, browser (Chromium) %.2fs%s",
		what, w.checked+w.upload, ratio(w.checked+w.upload), w.checked, w.upload, w.firstChunk, w.chunkSpan, w.chunkCount, w.gzipped, w.sentMB, w.chunkSum, w.chunkPeak, w.refused, w.upload-w.firstChunk-w.chunkSpan, w.complete, w.serverCPU, w.browserCPU, by)
}

type benchResult struct {
	parsed                     float64 // seconds from the file chosen to the rows parsed
	ready, checked             float64 // seconds
	heap, pageHeap, workerHeap float64 // bytes, peaks
	heapAll                    float64 // bytes, peak of heap plus array buffers and external strings (kept outside the JS heap)
	longestLoad, longestScroll int     // ms
	longestUpload              int     // ms, the longest main-thread task from submit to the confirmation
	longScroll, slowestFrame   int
	upload                     float64 // seconds from submit to the server's confirmation
	// cpu is the browser's CPU seconds for Papa alone (file chosen to
	// parsed); checkedCPU the widget's from the file chosen to every cell
	// checked (the steps in between included).
	cpu, checkedCPU float64
	// The upload, from the server's side: seconds from submit to the first
	// chunk request, from it to the end of the last, the chunk requests'
	// times summed, the completion's; the chunks and how many were at the
	// server at once at most; CPU seconds of this process (the server) and of
	// the browser's processes during the upload.
	firstChunk, chunkSpan, chunkSum, complete float64
	chunkCount, chunkPeak                     int
	refused                                   string  // chunk requests answered other than 200, by status
	gzipped                                   int     // chunk requests sent gzip'd
	sentMB                                    float64 // chunk bodies as sent
	serverCPU, browserCPU                     float64
	browserCPUBy                              string // browserCPU by process type
	// flowBrowserCPU and flowServerCPU are the CPU seconds of the browser
	// and of this process (the server, and the benchmark's own chromedp
	// calls) from the file chosen to stored.
	flowBrowserCPU, flowServerCPU float64
}

func mb(b float64) string { return fmt.Sprintf("%.0f MB", b/1e6) }

func median(rs []benchResult) benchResult {
	pick := func(f func(benchResult) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	refused := make([]string, len(rs))
	for i, r := range rs {
		refused[i] = r.refused
	}
	return benchResult{
		refused: strings.Join(refused, " "),
		parsed:  pick(func(r benchResult) float64 { return r.parsed }),
		ready:   pick(func(r benchResult) float64 { return r.ready }), checked: pick(func(r benchResult) float64 { return r.checked }),
		heap: pick(func(r benchResult) float64 { return r.heap }), pageHeap: pick(func(r benchResult) float64 { return r.pageHeap }),
		workerHeap: pick(func(r benchResult) float64 { return r.workerHeap }),
		heapAll:    pick(func(r benchResult) float64 { return r.heapAll }),
		upload:     pick(func(r benchResult) float64 { return r.upload }),
		firstChunk: pick(func(r benchResult) float64 { return r.firstChunk }), chunkSpan: pick(func(r benchResult) float64 { return r.chunkSpan }),
		chunkSum: pick(func(r benchResult) float64 { return r.chunkSum }), complete: pick(func(r benchResult) float64 { return r.complete }),
		gzipped: int(pick(func(r benchResult) float64 { return float64(r.gzipped) })), sentMB: pick(func(r benchResult) float64 { return r.sentMB }),
		chunkCount: int(pick(func(r benchResult) float64 { return float64(r.chunkCount) })), chunkPeak: int(pick(func(r benchResult) float64 { return float64(r.chunkPeak) })),
		serverCPU: pick(func(r benchResult) float64 { return r.serverCPU }), browserCPU: pick(func(r benchResult) float64 { return r.browserCPU }),
		longestLoad: int(pick(func(r benchResult) float64 { return float64(r.longestLoad) })), longestScroll: int(pick(func(r benchResult) float64 { return float64(r.longestScroll) })),
		slowestFrame:   int(pick(func(r benchResult) float64 { return float64(r.slowestFrame) })),
		longestUpload:  int(pick(func(r benchResult) float64 { return float64(r.longestUpload) })),
		flowBrowserCPU: pick(func(r benchResult) float64 { return r.flowBrowserCPU }),
		flowServerCPU:  pick(func(r benchResult) float64 { return r.flowServerCPU }),
		cpu:            pick(func(r benchResult) float64 { return r.cpu }),
		checkedCPU:     pick(func(r benchResult) float64 { return r.checkedCPU }),
	}
}

// heapSampler polls the JS heap of the page and of every worker it finds,
// and keeps the peak of their sum, and the peak of their sum with the
// memory of array buffers and external strings, which live outside the JS
// heap (typed arrays, text decoded by the browser).
type heapSampler struct {
	mu                          sync.Mutex
	peak, page, worker, peakAll float64
	// workers is the most workers sampled at once; silent, how many could not be attached (not counted).
	workers, silent int
	stop            chan struct{}
	done            chan struct{}
}

func heapUsage(ctx context.Context) (used, backing float64, err error) {
	// A target that does not answer (a worker started by a worker may not
	// attach) must not stop the sampling.
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	r, err := chromedp.Run(ctx, func(ctx context.Context, t *chromedp.Target) (runtime.GetHeapUsageResult, error) {
		return cdp.Call(ctx, t, runtime.GetHeapUsage, cdp.Empty{})
	})
	return r.UsedSize, r.BackingStorageSize, err
}

// sampled is a worker the heap sampler asks.
type sampled struct {
	ctx context.Context
	// attached is closed once the worker's session is up: the
	// first call on a chromedp context attaches it for that call's
	// context's lifetime, so it is made without a timeout.
	attached chan struct{}
}

func startHeapSampler(ctx context.Context) *heapSampler {
	h := &heapSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		workers := map[string]*sampled{}
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-h.stop:
				quiet(workers)
				return
			case <-tick.C:
			}
			if infos, err := chromedp.Targets(ctx); err == nil {
				for _, ti := range infos {
					if _, ok := workers[string(ti.TargetID)]; ti.Type == "worker" && !ok {
						wctx, _ := chromedp.NewContext(ctx, chromedp.WithTargetID(ti.TargetID))
						w := &sampled{ctx: wctx, attached: make(chan struct{})}
						workers[string(ti.TargetID)] = w
						go func() {
							if chromedp.Do(wctx) == nil {
								close(w.attached)
							}
						}()
					}
				}
			}
			// Asked at once, so that a slow worker does not delay the others;
			// one not attached (a worker started by a worker may never be) is not asked.
			type usage struct {
				used, backing float64
				err           error
			}
			ask := func(ctx context.Context) chan usage {
				c := make(chan usage, 1)
				go func() { u, b, err := heapUsage(ctx); c <- usage{u, b, err} }()
				return c
			}
			pageAsk := ask(ctx)
			asks := map[string]chan usage{}
			silent := 0
			for id, w := range workers {
				select {
				case <-w.attached:
					asks[id] = ask(w.ctx)
				default:
					silent++
				}
			}
			p := <-pageAsk
			page, backing := p.used, p.backing
			var worker float64
			answering := 0
			for _, c := range asks {
				if r := <-c; r.err == nil {
					worker += r.used
					backing += r.backing
					answering++
				}
			}
			h.mu.Lock()
			h.workers, h.silent = max(h.workers, answering), silent
			h.page, h.worker = max(h.page, page), max(h.worker, worker)
			h.peak = max(h.peak, page+worker)
			h.peakAll = max(h.peakAll, page+worker+backing)
			h.mu.Unlock()
		}
	}()
	return h
}

// quiet turns the Network domain off on the workers the sampler attached
// to (chromedp enables it on every target it attaches): the parsing worker
// sends the upload, and with it on, the browser would copy each chunk's
// body into a DevTools event and this process decode it, work no user's
// browser does, counted in the upload's CPU.
func quiet(workers map[string]*sampled) {
	for _, w := range workers {
		select {
		case <-w.attached:
			ctx, cancel := context.WithTimeout(w.ctx, 3*time.Second)
			_, _ = chromedp.Run(ctx, func(ctx context.Context, t *chromedp.Target) (cdp.Empty, error) {
				return cdp.Call(ctx, t, network.Disable, cdp.Empty{})
			})
			cancel()
		default:
		}
	}
}

func (h *heapSampler) finish() (peak, page, worker, peakAll float64) {
	close(h.stop)
	<-h.done
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.peak, h.page, h.worker, h.peakAll
}

func benchPapa(t *testing.T, url, file string) benchResult {
	ctx := browsertest.New(t)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("input"))); err != nil {
		t.Fatal(err)
	}
	heap := startHeapSampler(ctx)
	before := childrenCPU()
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS("input"), []string{file})); err != nil {
		t.Fatal(err)
	}
	res, err := chromedp.Run(ctx, chromedp.Poll[struct{ Ms float64 }](`window.papaResult`, chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(5*time.Minute)))
	if err != nil {
		t.Fatal(err)
	}
	cpu, _ := cpuSince(before)
	peak, _, _, peakAll := heap.finish()
	return benchResult{ready: res.Ms / 1000, heap: peak, heapAll: peakAll, cpu: cpu}
}

// observer records main-thread long tasks and, while scrolling, frame times.
const observer = `window.__bench = {long: []};
new PerformanceObserver((l) => { for (const e of l.getEntries()) __bench.long.push([e.startTime, e.duration]); }).observe({type: "longtask", buffered: true});`

// scroll scrolls the grid by 8 rows a frame for 3 s (the scroll area is
// scaled past ~250k rows, so the step in pixels depends on the row count)
// and reports the slowest frame.
const scroll = `new Promise((resolve) => {
  const v = document.querySelector(".grid-viewport");
  const rows = Number(document.querySelector(".grid").getAttribute("aria-rowcount")) - 1;
  const scale = Math.max(1, (rows * 32 - v.clientHeight) / Math.max(1, v.scrollHeight - v.clientHeight));
  const start = performance.now(); let last = start, slowest = 0, top = v.scrollTop;
  const step = (now) => { slowest = Math.max(slowest, now - last); last = now; top += 256 / scale; v.scrollTop = top;
    if (now - start < 3000) requestAnimationFrame(step); else resolve({start, end: now, slowest: Math.round(slowest)}); };
  requestAnimationFrame(step);
})`

func benchFlow(t *testing.T, s *testServer, url, file string) benchResult {
	ctx := browsertest.New(t)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS(`input[type=file]`)))
	if err == nil {
		_, err = chromedp.Run(ctx, chromedp.Evaluate[any](observer))
	}
	if err != nil {
		t.Fatal(err)
	}
	heap := startHeapSampler(ctx)
	flowServer, _ := cputime.Process()
	flowBrowser := childrenCPU()
	stopWatch := make(chan struct{})
	defer close(stopWatch)
	go func() {
		for {
			select {
			case <-stopWatch:
				return
			case <-time.After(15 * time.Second):
				text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("main").innerText.slice(0, 300)`))
				t.Logf("still loading, page shows %q", text)
			}
		}
	}()
	err = chromedp.Do(ctx,
		chromedp.SetUploadFiles(chromedp.CSS(`input[type=file]`), []string{file}),
		chromedp.Click(chromedp.CSS(`[data-testid=header-next]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=map-next]`)),
		chromedp.WaitVisible(chromedp.CSS(`.grid[data-ready]`)),
	)
	if err != nil {
		t.Fatalf("%v; page: %q", err, pageText(ctx))
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`performance.getEntriesByName("intake:checked").length > 0`, chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(10*time.Minute))); err != nil {
		t.Fatal(err)
	}
	checkedCPU, _ := cpuSince(flowBrowser)
	peak, page, worker, peakAll := heap.finish()
	t.Logf("heap: page and %d workers sampled; %d workers could not be attached through the DevTools protocol and are not counted", heap.workers, heap.silent)
	// Time the user spent on the header and mapping steps is not the widget's.
	marks, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]float64](`Object.fromEntries(performance.getEntriesByType("mark").filter((m) => m.name.startsWith("intake:")).map((m) => [m.name.slice(7), m.startTime]))`))
	if err != nil {
		t.Fatal(err)
	}
	think := (marks["header-done"] - marks["header-shown"]) + (marks["map-done"] - marks["map-shown"])
	t.Logf("steps: parsed %.0fms, header shown %.0fms, mapped %.0fms after mapping done, grid ready %.0fms after mapped", marks["parsed"]-marks["file"], marks["header-shown"]-marks["file"], marks["mapped"]-marks["map-done"], marks["ready"]-marks["mapped"])
	r := benchResult{
		parsed:  (marks["parsed"] - marks["file"]) / 1000,
		ready:   (marks["ready"] - marks["file"] - think) / 1000,
		checked: (marks["checked"] - marks["file"] - think) / 1000,
		heap:    peak, pageHeap: page, workerHeap: worker, heapAll: peakAll,
		checkedCPU: checkedCPU,
	}
	sc, err := chromedp.Run(ctx, chromedp.Evaluate[struct{ Start, End, Slowest float64 }](scroll, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	long, err := chromedp.Run(ctx, chromedp.Evaluate[[][2]float64](`__bench.long`))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range long {
		d := int(l[1])
		if l[0] >= sc.Start && l[0] <= sc.End {
			r.longestScroll = max(r.longestScroll, d)
			r.longScroll++
		} else if l[0] >= marks["file"] && l[0] <= marks["checked"] {
			r.longestLoad = max(r.longestLoad, d)
			t.Logf("long task while loading: %dms at %.0fms after the file was chosen (marks %v)", d, l[0]-marks["file"], marks)
		}
	}
	r.slowestFrame = int(sc.Slowest)
	if os.Getenv("INTAKE_WIDGET_BENCH_UPLOAD") == "" && !benchE2E() {
		return r
	}
	// Submit: every row, gzip'd chunks, to the real server, until it confirms.
	s.served.reset()
	if path := os.Getenv("INTAKE_WIDGET_BENCH_CPUPROFILE"); path != "" {
		stop := cpuProfile(t, path)
		defer stop()
	}
	serverBefore, _ := cputime.Process()
	browserBefore := childrenCPU()
	submitted, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`performance.now()`))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`[data-testid=submit]:not([disabled])`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=done]`)),
	)
	if err != nil {
		t.Fatalf("submit: %v; page: %q", err, pageText(ctx))
	}
	r.upload = time.Since(start).Seconds()
	// Long tasks from submit to the confirmation: encoding (and, e2e,
	// encryption) must stay off the main thread.
	if long, err = chromedp.Run(ctx, chromedp.Evaluate[[][2]float64](`__bench.long`)); err != nil {
		t.Fatal(err)
	}
	for _, l := range long {
		if l[0] >= submitted {
			r.longestUpload = max(r.longestUpload, int(l[1]))
			t.Logf("long task while uploading: %dms at %.0fms after submit (%.2fs upload)", int(l[1]), l[0]-submitted, r.upload)
		}
	}
	serverAfter, _ := cputime.Process()
	r.serverCPU = (serverAfter - serverBefore).Seconds()
	r.browserCPU, r.browserCPUBy = cpuSince(browserBefore)
	r.flowBrowserCPU, _ = cpuSince(flowBrowser)
	r.flowServerCPU = (serverAfter - flowServer).Seconds()
	s.served.mu.Lock()
	defer s.served.mu.Unlock()
	chunks := s.served.chunks
	r.chunkCount, r.complete = len(chunks), s.served.complete.Seconds()
	r.refused = fmt.Sprint(s.served.refused)
	r.gzipped, r.sentMB = s.served.gzipped, float64(s.served.bytes)/1e6
	if len(chunks) > 0 {
		first, last := chunks[0][0], chunks[0][1]
		for _, c := range chunks {
			first, last = minTime(first, c[0]), maxTime(last, c[1])
			r.chunkSum += c[1].Sub(c[0]).Seconds()
			at := 0
			for _, d := range chunks {
				if !d[0].After(c[0]) && d[1].After(c[0]) {
					at++
				}
			}
			r.chunkPeak = max(r.chunkPeak, at)
		}
		r.firstChunk, r.chunkSpan = first.Sub(start).Seconds(), last.Sub(first).Seconds()
	}
	return r
}

// cpuProfile writes this process's (the server's) CPU profile to path
// until stop is called: INTAKE_WIDGET_BENCH_CPUPROFILE, during the upload.
func cpuProfile(t *testing.T, path string) (stop func()) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		t.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			t.Error(err)
		}
	}
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// childrenCPU returns the CPU seconds (user + system) used so far by the
// live processes descending from this one (the browsers the tests start),
// by Chromium process type ("renderer", "utility" for the network service,
// "browser" for the main process…), read from /proc; empty where there is none.
func childrenCPU() map[string]float64 {
	entries, _ := os.ReadDir("/proc")
	parent := map[int]int{}
	ticks := map[int]float64{}
	kind := map[int]string{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid … utime stime: fields after the command's closing parenthesis.
		rest := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(rest) < 13 {
			continue
		}
		ppid, _ := strconv.Atoi(rest[1])
		utime, _ := strconv.ParseFloat(rest[11], 64)
		stime, _ := strconv.ParseFloat(rest[12], 64)
		parent[pid], ticks[pid] = ppid, utime+stime
		kind[pid] = "browser"
		if cmd, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline")); err == nil {
			// Chromium rewrites a child's command line as one string: split on spaces too.
			for _, arg := range strings.FieldsFunc(string(cmd), func(r rune) bool { return r == 0 || r == ' ' }) {
				if v, ok := strings.CutPrefix(arg, "--type="); ok {
					kind[pid] = v
				}
			}
		}
	}
	self := os.Getpid()
	total := map[string]float64{}
	for pid, tk := range ticks {
		for p := parent[pid]; p != 0; p = parent[p] {
			if p == self {
				// USER_HZ is 100 on Linux.
				total[kind[pid]] += tk / 100
				break
			}
		}
	}
	return total
}

// cpuSince is the CPU seconds per process type used since before (childrenCPU), and their sum.
func cpuSince(before map[string]float64) (float64, string) {
	var sum float64
	var parts []string
	for k, v := range childrenCPU() {
		d := v - before[k]
		sum += d
		if d >= 0.05 {
			parts = append(parts, fmt.Sprintf("%s %.2fs", k, d))
		}
	}
	slices.Sort(parts)
	return sum, strings.Join(parts, ", ")
}
