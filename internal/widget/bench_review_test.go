package widget_test

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/profiler"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/intakehq/intake/internal/browsertest"
	"github.com/intakehq/intake/internal/server"
)

// TestBenchReview is the review benchmark at a million rows (docs/benchmarks.md,
// "Review at 1M rows"): moving through the grid with the arrow keys and
// PageDown, a bulk fix (trim a column) over every row and its undo. It runs
// only when INTAKE_WIDGET_BENCH_REVIEW names the data set:
//
//	INTAKE_WIDGET_BENCH_REVIEW=/tmp/bench-data/rows-1m.csv go test ./internal/widget/ -run '^TestBenchReview$' -v -timeout 30m
//
// The data set has no spaces to trim, so the benchmark reads a copy whose
// first_name has a trailing space in every tenth row (INTAKE_WIDGET_BENCH_DIRTY
// sets another share, 1 = every row). INTAKE_WIDGET_BENCH_HEAP=1 also samples
// the page's and the worker's heaps during the fix (the sampling itself costs
// main-thread time, so the timings of that run are not the benchmark's).
func TestBenchReview(t *testing.T) {
	source := os.Getenv("INTAKE_WIDGET_BENCH_REVIEW")
	if source == "" {
		t.Skip("benchmark: set INTAKE_WIDGET_BENCH_REVIEW to the 1M-row data set")
	}
	every, _ := strconv.Atoi(os.Getenv("INTAKE_WIDGET_BENCH_DIRTY"))
	every = max(every, 1)
	if os.Getenv("INTAKE_WIDGET_BENCH_DIRTY") == "" {
		every = 10
	}
	file, dirty := dirtyCopy(t, source, every)
	s := newTestServer(t, 0)
	key := s.addImporterTemplate(t, server.DemoTemplate, map[string]any{"max_rows": 0, "max_file_bytes": 0, "allow_invalid": true})
	ctx, cancel := context.WithTimeout(browsertest.New(t), 20*time.Minute)
	defer cancel()
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v; page shows %q", what, err, pageText(ctx))
		}
	}
	run("review", chromedp.Navigate(s.URL+"/i/"+key), chromedp.WaitReady(chromedp.CSS(`input[type=file]`)),
		chromedp.SetUploadFiles(chromedp.CSS(`input[type=file]`), []string{file}),
		chromedp.Click(chromedp.CSS(`[data-testid=header-next]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=map-next]`)),
		chromedp.WaitVisible(chromedp.CSS(`.grid[data-ready]`)))
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`performance.getEntriesByName("intake:checked").length > 0`, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(15*time.Minute))); err != nil {
		t.Fatal(err)
	}
	rows, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector(".grid").getAttribute("aria-rowcount")`))

	// Frame work: each keydown's handler, each animation frame's callbacks
	// (the grid renders in one) with the style and layout they cause, and the
	// main thread's long tasks.
	_, err := chromedp.Run(ctx, chromedp.Evaluate[any](`(() => {
		const b = window.__review = {handler: 0, frame: 0, frames: 0, long: []};
		new PerformanceObserver((l) => { for (const e of l.getEntries()) b.long.push([e.startTime, e.duration]); }).observe({type: "longtask"});
		document.addEventListener("keydown", () => { const t = performance.now(); queueMicrotask(() => {}); setTimeout(() => {}, 0); b.t = t; }, true);
		document.addEventListener("keydown", () => { b.handler = Math.max(b.handler, performance.now() - b.t); });
		const raf = window.requestAnimationFrame.bind(window);
		window.requestAnimationFrame = (cb) => raf((now) => { const t = performance.now(); cb(now); void document.body.offsetHeight; b.frame = Math.max(b.frame, performance.now() - t); b.frames++; });
		document.querySelector('.grid-row:not([hidden])[data-pos="0"] [data-col="0"]').focus();
		return true;
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	profiling := os.Getenv("INTAKE_WIDGET_BENCH_PROFILE") != ""
	if profiling {
		chromedp.Call(ctx, profiler.Enable, cdp.Empty{})
		chromedp.Call(ctx, profiler.Start, cdp.Empty{})
	}
	start := time.Now()
	for range 60 {
		run("arrow down", chromedp.KeyEvent(kb.ArrowDown))
	}
	for range 60 {
		run("page down", chromedp.KeyEvent(kb.PageDown))
	}
	for range 20 {
		run("arrow right and left", chromedp.KeyEvent(kb.ArrowRight), chromedp.KeyEvent(kb.ArrowLeft))
	}
	run("end", chromedp.KeyEvent(kb.End, chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	type frames struct {
		Handler, Frame float64
		Frames         int
		Long           [][2]float64
		Pos            string
	}
	// Ctrl+End lands on the last row once it is fetched and drawn.
	last := strconv.Itoa(mustAtoi(rows) - 2)
	f, err := chromedp.Run(ctx, chromedp.Poll[frames](`(() => { const p = document.activeElement?.closest(".grid-row")?.dataset.pos; return p === "`+last+`" && Object.assign({}, __review, {pos: p}); })()`, chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	moved := time.Since(start)
	if profiling {
		if r, err := chromedp.Call(ctx, profiler.Stop, cdp.Empty{}); err == nil {
			self := map[string]int64{}
			for _, n := range r.Profile.Nodes {
				self[n.CallFrame.FunctionName+" "+n.CallFrame.URL+":"+strconv.Itoa(int(n.CallFrame.LineNumber))] += n.HitCount
			}
			type kv struct {
				k string
				v int64
			}
			var top []kv
			for k, v := range self {
				top = append(top, kv{k, v})
			}
			slices.SortFunc(top, func(a, b kv) int { return int(b.v - a.v) })
			for _, e := range top[:min(12, len(top))] {
				t.Logf("profile: %d samples %s", e.v, e.k)
			}
		}
	}
	longest := 0.0
	for _, l := range f.Long {
		longest = max(longest, l[1])
	}
	t.Logf("moving (%d rows): 60 ArrowDown, 60 PageDown, 40 ArrowRight/Left, Ctrl+End to row %s in %s: slowest keydown handler %.1fms, slowest frame (callbacks + style and layout) %.1fms over %d frames, %d long tasks (longest %.0fms)",
		mustAtoi(rows)-1, f.Pos, moved.Round(time.Millisecond), f.Handler, f.Frame, f.Frames, len(f.Long), longest)

	// The bulk fix: trim first_name over every row, then undo it.
	type timed struct {
		Ms      float64
		Longest float64
		Text    string
	}
	measure := func(what, act, done string) timed {
		t.Helper()
		js := `new Promise((resolve) => {
			const b = window.__review; const from = b.long.length; const t0 = performance.now();
			const done = () => ` + done + `;
			const finish = () => { const long = b.long.slice(from).map((l) => l[1]); resolve({ms: performance.now() - t0, longest: Math.max(0, ...long), text: String(done())}); };
			new MutationObserver((_, o) => { if (done()) { o.disconnect(); setTimeout(finish, 100); } }).observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
			` + act + `;
		})`
		r, err := chromedp.Run(ctx, chromedp.Evaluate[timed](js, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		// The 100 ms waited for long tasks to be reported are not the fix's.
		r.Ms -= 100
		return r
	}
	_, err = chromedp.Run(ctx, chromedp.Evaluate[any](`(() => {
		document.querySelector("[data-testid=fix-panel]").open = true;
		const col = [...document.querySelectorAll("#fix-column option")].find((o) => o.textContent === "First name" || o.value === "1");
		document.querySelector("#fix-column").value = col.value;
		document.querySelector("#fix-action").value = "trim";
		document.querySelector("#fix-scope").value = "all";
		return col.textContent;
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	// Page and worker heap, before and at the peak of the fix, undo and redo.
	var heapBefore float64
	var heap *heapSampler
	if os.Getenv("INTAKE_WIDGET_BENCH_HEAP") != "" {
		before := startHeapSampler(ctx)
		time.Sleep(500 * time.Millisecond)
		heapBefore, _, _, _ = before.finish()
		heap = startHeapSampler(ctx)
	}
	fix := measure("trim", `document.querySelector("[data-testid=apply-fix]").click()`, `document.querySelector("[data-testid=fix-result]").textContent`)
	undo := measure("undo", `document.querySelector("[data-testid=undo]").click()`, `!document.querySelector("[data-testid=redo]").disabled && "undone"`)
	redo := measure("redo", `document.querySelector("[data-testid=redo]").click()`, `!document.querySelector("[data-testid=undo]").disabled && "redone"`)
	t.Logf("bulk fix: trim first_name over %d rows (%d cells with a space): %.0fms, %q, longest main-thread task %.0fms; undo %.0fms (longest task %.0fms); redo %.0fms (longest task %.0fms)",
		mustAtoi(rows)-1, dirty, fix.Ms, fix.Text, fix.Longest, undo.Ms, undo.Longest, redo.Ms, redo.Longest)
	if heap == nil {
		return
	}
	time.Sleep(300 * time.Millisecond)
	peak, _, worker, _ := heap.finish()
	t.Logf("JS heap (page + worker) before the fix %s, peak during the fix, undo and redo %s (worker %s)", mb(heapBefore), mb(peak), mb(worker))
}

func mustAtoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// dirtyCopy writes source with a trailing space after first_name (the
// second field) in every n-th data row, and returns its path and how many
// cells it dirtied.
func dirtyCopy(t *testing.T, source string, every int) (string, int) {
	t.Helper()
	in, err := os.Open(source)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	path := filepath.Join(t.TempDir(), "dirty-"+filepath.Base(source))
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(out, 1<<20)
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n, dirty := 0, 0
	for sc.Scan() {
		line := sc.Text()
		if n > 0 && n%every == 0 {
			// id,first_name,…: the space goes after the second field (names hold no comma or quote).
			if a := strings.IndexByte(line, ','); a >= 0 {
				if b := strings.IndexByte(line[a+1:], ','); b >= 0 && !strings.ContainsAny(line[a+1:a+1+b], `"`) {
					line = line[:a+1+b] + " " + line[a+1+b:]
					dirty++
				}
			}
		}
		w.WriteString(line)
		w.WriteByte('\n')
		n++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	out.Close()
	return path, dirty
}
