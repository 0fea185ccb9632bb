package benchrun

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/intakehq/intake/internal/benchrun/rawlimit"
	"github.com/intakehq/intake/internal/server"
	"github.com/intakehq/intake/internal/server/servertest"
)

// HeadlessOptions choose a run of the headless benchmark.
type HeadlessOptions struct {
	Rows    int
	Formats []string // csv, xlsx
	// Templates are the importers' templates measured: typed, demo.
	Templates []string
	// Runs is how many imports of each template are measured, one after
	// the other on the same server, each beside the parser alone measured
	// just before it.
	Runs int
	Log  io.Writer
	// ServeCommand starts `intake serve` with serve's arguments.
	ServeCommand func(args ...string) *exec.Cmd
	// CLI is intake's command line in this process (cli.Run), for `intake
	// admin init` and `intake import`: passed in, as benchrun cannot import
	// internal/cli, whose tests import benchrun.
	CLI CLI
	// PerfDir, when set, records each measured import's server with
	// `perf record -g` into a file of that folder.
	PerfDir string
}

// CLI runs intake's command line with args, as cli.Run does.
type CLI func(ctx context.Context, args []string, in io.Reader, out, errw io.Writer) int

// MaxRuns bounds --runs.
const MaxRuns = 20

// Check tells what is wrong with the options, if anything.
func (o HeadlessOptions) Check() error {
	if o.Rows < MinRows || o.Rows > MaxRows {
		return fmt.Errorf("rows must be %d to %d, not %d", MinRows, MaxRows, o.Rows)
	}
	for _, f := range o.Formats {
		if f != "csv" && f != "xlsx" {
			return fmt.Errorf("format must be csv, xlsx or both, not %q", f)
		}
	}
	for _, t := range o.Templates {
		if _, ok := headlessTemplates[t]; !ok {
			return fmt.Errorf("template must be typed, demo or both, not %q", t)
		}
	}
	if o.Runs < 1 || o.Runs > MaxRuns {
		return fmt.Errorf("runs must be 1 to %d, not %d", MaxRuns, o.Runs)
	}
	if o.PerfDir != "" {
		if _, err := exec.LookPath("perf"); err != nil {
			return errors.New("--perf needs perf on the PATH")
		}
	}
	return nil
}

// HeadlessMain is `intake-bench --headless [--rows N] [--format
// csv|xlsx|both] [--runs N] [--perf DIR]`: the user's path of a headless
// import through the real binaries. It starts `intake serve` as a child
// process (GOMAXPROCS=1, SQLite and file blobs in a data folder of its
// own, as `intake serve` runs with no configuration), sends the seeded
// file to it with `intake import`'s code (cli: internal/cli's Run) from this process,
// and prints the server process's CPU while the import runs (from /proc,
// its start excluded), its rows per CPU-second and peak RSS, beside the
// server's parser alone and the format's bare library alone reading the
// same file in this process just before.
func HeadlessMain(ctx context.Context, args []string, out, errw io.Writer, serve func(args ...string) *exec.Cmd, cli CLI) int {
	errorf := func(format string, a ...any) { fmt.Fprintf(errw, "intake-bench --headless: "+format+"\n", a...) }
	fs := flag.NewFlagSet("intake-bench --headless", flag.ContinueOnError)
	fs.SetOutput(errw)
	rows := fs.Int("rows", 1_000_000, fmt.Sprintf("`N` rows of the seeded data set (%d to %d)", MinRows, MaxRows))
	format := fs.String("format", "both", "file format of the data set: csv, xlsx or both")
	tpl := fs.String("template", "both", "the importer's template: typed, demo or both")
	runs := fs.Int("runs", 3, fmt.Sprintf("imports measured per template and format (1 to %d)", MaxRuns))
	perfDir := fs.String("perf", "", "record each measured import's server with perf record -g into this `folder`")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitInvalid
	}
	if fs.NArg() > 0 {
		errorf("unexpected argument %q", fs.Arg(0))
		return exitInvalid
	}
	formats := []string{*format}
	if *format == "both" {
		formats = Formats
	}
	templates := []string{*tpl}
	if *tpl == "both" {
		templates = []string{"typed", "demo"}
	}
	o := HeadlessOptions{Rows: *rows, Formats: formats, Templates: templates, Runs: *runs, Log: errw, ServeCommand: serve, CLI: cli, PerfDir: *perfDir}
	if err := o.Check(); err != nil {
		errorf("%v", err)
		return exitInvalid
	}
	for _, f := range formats {
		rep, err := RunHeadless(ctx, o, f)
		if rep != nil {
			if werr := rep.WriteText(out); werr != nil && err == nil {
				err = werr
			}
		}
		if err != nil {
			errorf("%v", err)
			return exitFailure
		}
	}
	return exitOK
}

// RunHeadless measures the headless imports of one format.
func RunHeadless(ctx context.Context, o HeadlessOptions, format string) (*Report, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	gomaxprocs, _ := strconv.Atoi(serverGoMaxProcs)
	rep := &Report{Rows: o.Rows, Format: format, Started: time.Now().UTC(), LoadBefore: loadAverage(),
		CPUs: runtime.NumCPU(), GoMaxProcs: gomaxprocs, GoVersion: runtime.Version()}
	err := runStep(ctx, "headless "+format, o.Log, func(tb testing.TB) { //nolint:contextcheck // the shared test helpers take tb.Context()
		h := &headless{tb: tb, o: o, rep: rep, format: format}
		h.run()
	})
	rep.Elapsed = time.Since(rep.Started)
	rep.LoadAfter = loadAverage()
	return rep, err
}

// headlessTemplates are the templates measured: the typed template of the
// pipeline benchmarks and the demo template (phone parsing, unique
// columns).
var headlessTemplates = map[string]string{"typed": servertest.TypedTemplate, "demo": string(server.DemoTemplate)}

// serverGoMaxProcs is the server child's GOMAXPROCS: one core, the
// figure the targets are set on.
const serverGoMaxProcs = "1"

// headless is one format's run.
type headless struct {
	tb     testing.TB
	o      HeadlessOptions
	rep    *Report
	format string
}

func (h *headless) logf(format string, a ...any) {
	fmt.Fprintf(h.o.Log, "bench --headless: "+format+"\n", a...)
}

func (h *headless) run() {
	path := h.writeData(h.o.Rows)
	warm := h.writeData(MinRows)
	srv := h.startServer()
	keys := make([]string, len(h.o.Templates))
	for i, t := range h.o.Templates {
		keys[i] = srv.importer(h.tb, t, headlessTemplates[t])
		// A first small import pays the server's one-time costs (the
		// template compiled, statements prepared, the heap grown).
		if _, err := srv.send(warm, keys[i], MinRows); err != nil {
			h.tb.Fatalf("warm-up import: %v", err)
		}
	}
	lib := map[string]string{"csv": "encoding/csv", "xlsx": "excelize"}[h.format]
	for run := 1; run <= h.o.Runs; run++ {
		for i, t := range h.o.Templates {
			parsed, parseCost, err := parseAlone(path)
			if err != nil || parsed != h.o.Rows {
				h.tb.Fatalf("the parser alone: %d rows, %v", parsed, err)
			}
			libRows, libCost, err := rawlimit.ReadAlone(path)
			if err != nil || libRows != h.o.Rows {
				h.tb.Fatalf("%s alone: %d rows, %v", lib, libRows, err)
			}
			load := loadAverage()
			perf := ""
			if h.o.PerfDir != "" {
				perf = filepath.Join(h.o.PerfDir, fmt.Sprintf("%s-%s-%d.perf.data", h.format, t, run))
			}
			m, err := srv.measure(path, keys[i], h.o.Rows, perf)
			if err != nil {
				h.tb.Fatalf("import: %v", err)
			}
			f := Figure{Step: fmt.Sprintf("intake import → intake serve, %s template, run %d", t, run), Unit: "rows",
				N: float64(h.o.Rows), Cost: rawlimit.Cost{Wall: m.wall, CPU: time.Duration(m.cpu() * float64(time.Second))},
				Limit: "internal/parse alone", Raw: parseCost, RawN: float64(parsed),
				Note: fmt.Sprintf("server CPU %.2f s (kernel %.2f s), peak RSS %d MB; %s alone %s rows/cpu-s; load %s",
					m.cpu(), m.proc.sys, m.peakRSS>>20, lib, count(libCost.PerCPU(float64(libRows))), load)}
			h.rep.Figures = append(h.rep.Figures, f)
			h.logf("%s %s run %d: server CPU %.2f s, %.0f rows/cpu-s, wall %.1f s, peak RSS %d MB; parser alone %.0f rows/cpu-s (ratio %.3f); %s alone %.0f; load %s",
				h.format, t, run, m.cpu(), f.PerCPU(), m.wall.Seconds(), m.peakRSS>>20, f.RawPerCPU(), f.Ratio(), lib,
				libCost.PerCPU(float64(libRows)), load)
		}
	}
}

// writeData writes the seeded data set of rows rows in the run's format
// to a temporary file and returns its path; the main one's size and hash
// go in the report.
func (h *headless) writeData(rows int) string {
	path, size, sum, err := writeDataSet(h.tb.TempDir(), h.format, rows)
	if err != nil {
		h.tb.Fatal(err)
	}
	if rows == h.o.Rows {
		h.rep.FileBytes, h.rep.FileSHA256 = size, sum
		h.logf("data: %s, %d bytes, sha256 %s", filepath.Base(path), size, sum[:16])
	}
	return path
}

// parseAlone reads every row of the file at path with the server's parser,
// keeping none.
func parseAlone(path string) (rows int, _ rawlimit.Cost, _ error) {
	rows = -1 // the header
	cost, err := rawlimit.Measure(func() error { return eachRecord(path, func([]string) { rows++ }) })
	return rows, cost, err
}

// headlessServer is the `intake serve` child and the credentials to use it.
type headlessServer struct {
	*replica
	apiKey string
	cli    CLI
}

// startServer makes a data folder with an organization and an API key
// (`intake admin init`), then starts `intake serve` on it.
func (h *headless) startServer() *headlessServer {
	dir := h.tb.TempDir()
	var out, errOut bytes.Buffer
	if code := h.o.CLI(context.Background(), []string{"admin", "init", "--org", "bench", "--email", "bench@example.com", "--password-stdin",
		"--data-dir", dir}, strings.NewReader("correct horse battery staple\n"), &out, &errOut); code != 0 {
		h.tb.Fatalf("intake admin init: exit %d: %s", code, strings.TrimSpace(errOut.String()))
	}
	var ini struct {
		APIKey string `json:"api_key"`
	}
	if err := json.Unmarshal(out.Bytes(), &ini); err != nil || ini.APIKey == "" {
		h.tb.Fatalf("intake admin init: no API key (%v)", err)
	}
	rp, err := launch(h.tb, h.o.ServeCommand("--addr", "127.0.0.1:0", "--data-dir", dir), "GOMAXPROCS="+serverGoMaxProcs)
	if err != nil {
		h.tb.Fatal(err)
	}
	return &headlessServer{replica: rp, apiKey: ini.APIKey, cli: h.o.CLI}
}

// importer creates a stored importer that keeps invalid rows flagged, as
// the lead's measurement did, and returns its key.
func (s *headlessServer) importer(tb testing.TB, name, template string) string {
	body, _ := json.Marshal(map[string]any{"name": name, "mode": "stored", "allow_invalid": true, "template": json.RawMessage(template)})
	var im importer
	if err := call(s.url, "POST", "/api/v1/importers", s.apiKey, "", body, &im); err != nil {
		tb.Fatalf("create the %s importer: %v", name, err)
	}
	return im.Key
}

var imported = regexp.MustCompile(`^imported \S+: ([0-9]+) rows`)

// send runs `intake import path --importer key` in this process and
// checks that it imported rows rows.
func (s *headlessServer) send(path, key string, rows int) (time.Duration, error) {
	var out, errOut bytes.Buffer
	start := time.Now()
	code := s.cli(context.Background(), []string{"import", path, "--importer", key, "--server", s.url, "--api-key", s.apiKey},
		strings.NewReader(""), &out, &errOut)
	wall := time.Since(start)
	if code != 0 {
		return 0, fmt.Errorf("intake import: exit %d: %s", code, lastLines(errOut.String()))
	}
	m := imported.FindStringSubmatch(out.String())
	if m == nil || m[1] != strconv.Itoa(rows) {
		return 0, fmt.Errorf("intake import: %q, want %d rows imported", strings.TrimSpace(out.String()), rows)
	}
	return wall, nil
}

func lastLines(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-3):], " / ")
}

// measured is what one import cost the server process.
type measured struct {
	wall    time.Duration
	proc    procStat
	peakRSS int64 // bytes, VmHWM since the import began
}

func (m measured) cpu() float64 { return m.proc.user + m.proc.sys }

// measure sends one import and reads the server's CPU before and after;
// its peak RSS is reset first (clear_refs), so that it is this import's.
func (s *headlessServer) measure(path, key string, rows int, perfData string) (measured, error) {
	pid := s.cmd.Process.Pid
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0); err != nil {
		return measured{}, fmt.Errorf("reset the server's peak RSS: %w", err)
	}
	stopPerf := func() {}
	if perfData != "" {
		p := exec.Command("perf", "record", "-F", "999", "-g", "-p", strconv.Itoa(pid), "-o", perfData) //nolint:gosec // our own child's pid
		if err := p.Start(); err != nil {
			return measured{}, fmt.Errorf("perf record: %w", err)
		}
		time.Sleep(300 * time.Millisecond) // perf attaches
		stopPerf = func() { _ = p.Process.Signal(syscall.SIGINT); _ = p.Wait() }
	}
	before := readProc(pid)
	wall, err := s.send(path, key, rows)
	after := readProc(pid)
	stopPerf()
	if err != nil {
		return measured{}, err
	}
	hwm, err := peakRSS(pid)
	if err != nil {
		return measured{}, err
	}
	return measured{wall: wall, proc: after.sub(before), peakRSS: hwm}, nil
}

// peakRSS is the process's VmHWM in bytes.
func peakRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("the server's peak RSS: %w", err)
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("the server's peak RSS: %w", err)
			}
			return kb << 10, nil
		}
	}
	return 0, errors.New("the server's peak RSS: no VmHWM in /proc")
}
