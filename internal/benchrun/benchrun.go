// Package benchrun is intake-bench (cmd/intake-bench): Intake's benchmark
// anyone can rerun from a clone. It writes the seeded data set (internal/benchdata) and runs,
// on loopback only, in-process, each step of an import's life beside the raw
// limit of that step measured in the same run on the same bytes: the
// server's parser beside encoding/csv or excelize alone; server ingest
// through the upload API (demo and typed templates) beside inflating the
// bodies alone; a webhook delivery to a local receiver beside a bare HTTP
// sink; a download beside AES-GCM alone; a purge beside a bare SQLite
// delete of the same rows. Figures are per CPU-second of the process
// (server and client both run in it), which other load on the machine
// skews less than wall time; the ratio to the raw limit is the figure that
// carries to another machine.
package benchrun

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake/internal/benchdata"
	"github.com/intakehq/intake/internal/benchrun/rawlimit"
	"github.com/intakehq/intake/internal/parse"
)

// Formats are the data set's file formats.
var Formats = []string{"csv", "xlsx"}

// MinRows is the smallest data set: one chunk of each import and enough
// rows for the figures to mean something.
const MinRows = 1000

// MaxRows bounds the data set (the server's file bound is 1 GiB; 10M rows
// of CSV are ~1.3 GB).
const MaxRows = 5_000_000

// MaxReplicas bounds --replicas.
const MaxReplicas = 8

// Options choose the run.
type Options struct {
	Rows   int
	Format string // csv or xlsx
	// Log receives progress lines.
	Log io.Writer
	// Replicas, when above 0, also measures 1 … Replicas `intake serve`
	// processes on the PostgreSQL at DatabaseURL, each started by
	// ServeCommand with serve's arguments.
	Replicas     int
	DatabaseURL  string
	ServeCommand func(args ...string) *exec.Cmd
}

// Check tells what is wrong with the options, if anything.
func (o Options) Check() error {
	if o.Rows < MinRows || o.Rows > MaxRows {
		return fmt.Errorf("rows must be %d to %d, not %d", MinRows, MaxRows, o.Rows)
	}
	if !slices.Contains(Formats, o.Format) {
		return fmt.Errorf("format must be csv or xlsx, not %q", o.Format)
	}
	switch {
	case o.Replicas < 0 || o.Replicas > MaxReplicas:
		return fmt.Errorf("replicas must be 0 to %d, not %d", MaxReplicas, o.Replicas)
	case o.Replicas > 0 && !strings.HasPrefix(o.DatabaseURL, "postgres"):
		return errors.New("replicas need a PostgreSQL database: --database-url postgres://… (or INTAKE_DATABASE_URL)")
	}
	return nil
}

// Figure is one measured step beside its raw limit.
type Figure struct {
	Step  string // what was measured
	Unit  string // rows or imports
	N     float64
	Cost  rawlimit.Cost
	Limit string // the raw limit's name
	Raw   rawlimit.Cost
	RawN  float64 // units of the raw limit (N unless it measures more)
	Note  string
}

// PerCPU is the step's units per CPU-second.
func (f Figure) PerCPU() float64 { return f.Cost.PerCPU(f.N) }

// RawPerCPU is the raw limit's units per CPU-second.
func (f Figure) RawPerCPU() float64 { return f.Raw.PerCPU(f.RawN) }

// Ratio is the step's share of its raw limit, per CPU-second.
func (f Figure) Ratio() float64 {
	if f.RawPerCPU() == 0 {
		return 0
	}
	return f.PerCPU() / f.RawPerCPU()
}

// Report is a run's figures and the conditions they were measured in.
type Report struct {
	Rows        int
	Format      string
	Replicas    int
	FileBytes   int64
	FileSHA256  string
	Started     time.Time
	Elapsed     time.Duration
	LoadBefore  string // /proc/loadavg's first three fields, "" where unknown
	LoadAfter   string
	CPUs        int
	GoMaxProcs  int
	GoVersion   string
	Figures     []Figure
	NotMeasured []string
}

// Run runs the benchmark.
func Run(ctx context.Context, o Options) (*Report, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	rep := &Report{Rows: o.Rows, Format: o.Format, Replicas: o.Replicas, Started: time.Now().UTC(), LoadBefore: loadAverage(),
		CPUs: runtime.NumCPU(), GoMaxProcs: runtime.GOMAXPROCS(0), GoVersion: runtime.Version()}
	err := runStep(ctx, "run", o.Log, func(tb testing.TB) { //nolint:contextcheck // the shared test helpers take tb.Context()
		r := &run{tb: tb, o: o, rep: rep}
		r.data()
		r.server()
		if o.Replicas > 0 {
			r.replicas()
		}
	})
	rep.Elapsed = time.Since(rep.Started)
	rep.LoadAfter = loadAverage()
	rep.NotMeasured = append(rep.NotMeasured, "browser import (file → grid → stored) beside Papa Parse alone: "+
		"scripts/bench-widget.sh (its harness is internal/widget's test code)")
	if err != nil {
		return rep, err
	}
	return rep, nil
}

// run is one benchmark run's state.
type run struct {
	tb  testing.TB
	o   Options
	rep *Report

	header  []string
	records [][]string // the data set's rows, parsed
	bodies  [][]byte   // the upload API's chunk bodies, 5,000 rows each
	rows    int
}

// iterate returns each of records in turn, then io.EOF.
func iterate(records [][]string) func() ([]string, error) {
	i := 0
	return func() ([]string, error) {
		if i == len(records) {
			return nil, io.EOF
		}
		i++
		return records[i-1], nil
	}
}

const rowsPerChunk = 5000

func (r *run) logf(format string, a ...any) { fmt.Fprintf(r.o.Log, "bench: "+format+"\n", a...) }

func (r *run) add(f Figure) {
	if f.RawN == 0 {
		f.RawN = f.N
	}
	r.rep.Figures = append(r.rep.Figures, f)
	r.logf("%s: %.0f %s/cpu-s (%.0f/s wall); %s %.0f/cpu-s; ratio %.3f", f.Step, f.PerCPU(), f.Unit, f.Cost.PerWall(f.N),
		f.Limit, f.RawPerCPU(), f.Ratio())
}

// data writes the data set to a temporary file and parses it with the
// server's parser (internal/parse, what headless imports use) beside the
// format's bare library.
func (r *run) data() {
	path, size, sum, err := writeDataSet(r.tb.TempDir(), r.o.Format, r.o.Rows)
	if err != nil {
		r.tb.Fatal(err)
	}
	r.rep.FileBytes, r.rep.FileSHA256 = size, sum
	r.logf("data: %s, %d bytes, sha256 %s", filepath.Base(path), size, sum[:16])

	var records [][]string
	cost, err := rawlimit.Measure(func() error {
		var err error
		records, err = parseFile(path)
		return err
	})
	if err != nil {
		r.tb.Fatal(err)
	}
	r.header, records = records[0], records[1:]
	if len(records) != r.o.Rows {
		r.tb.Fatalf("parsed %d rows, wrote %d", len(records), r.o.Rows)
	}
	rawRows, raw, err := rawlimit.ReadAlone(path)
	if err != nil || rawRows != r.o.Rows {
		r.tb.Fatalf("raw read: %d rows, %v", rawRows, err)
	}
	lib := map[string]string{"csv": "encoding/csv alone", "xlsx": "excelize alone"}[r.o.Format]
	r.add(Figure{Step: "parse the " + strings.ToUpper(r.o.Format) + " (internal/parse)", Unit: "rows", N: float64(r.o.Rows), Cost: cost,
		Limit: lib, Raw: raw})
	r.records = records
	r.bodies, r.rows, err = rawlimit.GzipChunks(iterate(records), rowsPerChunk)
	if err != nil {
		r.tb.Fatal(err)
	}
}

// writeDataSet writes the seeded data set of rows rows in format (csv or
// xlsx) to a file in dir and returns its path, size and SHA-256 (hex).
func writeDataSet(dir, format string, rows int) (path string, size int64, sum string, _ error) {
	path = filepath.Join(dir, fmt.Sprintf("rows-%d.%s", rows, format))
	f, err := os.Create(path) //nolint:gosec // our own temporary folder
	if err != nil {
		return "", 0, "", fmt.Errorf("write the data: %w", err)
	}
	h := sha256.New()
	w := io.MultiWriter(f, h)
	if format == "xlsx" {
		err = benchdata.WriteXLSX(w, rows)
	} else {
		err = benchdata.WriteCSV(w, rows)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", 0, "", fmt.Errorf("write the data: %w", err)
	}
	info, err := os.Stat(path)
	if err != nil {
		return "", 0, "", fmt.Errorf("write the data: %w", err)
	}
	return path, info.Size(), hex.EncodeToString(h.Sum(nil)), nil
}

// eachRecord reads every record of the file at path with the server's
// parser (internal/parse, the job's first stage), header included, and
// hands each to fn, valid only until fn returns (the reader reuses it).
func eachRecord(path string, fn func(rec []string)) error {
	f, err := os.Open(path) //nolint:gosec // our own temporary file
	if err != nil {
		return fmt.Errorf("open the data: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("open the data: %w", err)
	}
	p, err := parse.Open(f, info.Size(), filepath.Base(path), parse.Options{})
	if err != nil {
		return fmt.Errorf("parse the data: %w", err)
	}
	defer p.Close()
	for {
		rec, err := p.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("parse the data: %w", err)
		}
		fn(rec)
	}
}

// parseFile is every record of the file at path, header first.
func parseFile(path string) ([][]string, error) {
	var out [][]string
	err := eachRecord(path, func(rec []string) { out = append(out, slices.Clone(rec)) })
	return out, err
}

// loadAverage is /proc/loadavg's 1, 5 and 15 minute averages.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
