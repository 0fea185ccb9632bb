package parse

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// The acceptance test of server-side parsing: every file of the corpus and
// every real-file shape (testdata/parse/shapes, the inputs of the widget's
// TestBrowserRealShapes), with detected and forced settings, parsed by the
// widget's own parsers in Node (web/widget/test/parity) and by this
// package, must give the same rows, blank-row count and settings, byte for
// byte, or the same error code.

// job is one file with the options both parsers get.
type job struct {
	Path      string `json:"path"`
	Name      string `json:"name"`
	Encoding  string `json:"encoding,omitempty"`
	Delimiter string `json:"delimiter,omitempty"`
	Sheet     string `json:"sheet,omitempty"`
	// mustParse: an error from both parsers is no agreement here.
	mustParse bool
}

// outcome is what a parser made of a job.
type outcome struct {
	Settings *struct {
		Format    string   `json:"format"`
		Delimiter string   `json:"delimiter"`
		Encoding  string   `json:"encoding"`
		Linebreak string   `json:"linebreak"`
		Sheet     string   `json:"sheet"`
		Sheets    []string `json:"sheets"`
	} `json:"settings,omitempty"`
	Rows    [][]string `json:"rows,omitempty"`
	Skipped int64      `json:"skipped"`
	Error   string     `json:"error,omitempty"`
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// widgetNode finds node and the widget's installed packages; under CI a
// missing one fails the test, elsewhere it skips it.
func widgetNode(t *testing.T, root string) string {
	t.Helper()
	miss := func(what string) {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s: the parity test cannot run", what)
		}
		t.Skipf("%s: the parity test needs it (npm ci in web/widget)", what)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		miss("node is not on PATH")
	}
	if _, err := os.Stat(filepath.Join(root, "web", "widget", "node_modules", "esbuild")); err != nil {
		miss("web/widget/node_modules has no esbuild")
	}
	return node
}

// widgetParse runs the widget's parsers on jobs.
func widgetParse(t *testing.T, root string, jobs []job) []outcome {
	t.Helper()
	node := widgetNode(t, root)
	in, err := json.Marshal(jobs)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, filepath.Join("test", "parity", "run.mjs"))
	cmd.Dir = filepath.Join(root, "web", "widget")
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("widget parser: %v\n%s", err, stderr.String())
	}
	var results []outcome
	if err := json.Unmarshal(out, &results); err != nil {
		t.Fatalf("widget parser output: %v", err)
	}
	if len(results) != len(jobs) {
		t.Fatalf("widget parser answered %d of %d files", len(results), len(jobs))
	}
	return results
}

// serverParse runs this package on a job.
func serverParse(j job) outcome {
	f, err := os.Open(j.Path)
	if err != nil {
		return outcome{Error: err.Error()}
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return outcome{Error: err.Error()}
	}
	r, err := Open(f, info.Size(), j.Name, Options{Encoding: j.Encoding, Delimiter: j.Delimiter, Sheet: j.Sheet})
	if err != nil {
		return outcome{Error: codeOrText(err)}
	}
	defer r.Close()
	var o outcome
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return outcome{Error: codeOrText(err)}
		}
		o.Rows = append(o.Rows, slices.Clone(row))
	}
	s := r.Settings()
	o.Skipped = r.Skipped()
	o.Settings = &struct {
		Format    string   `json:"format"`
		Delimiter string   `json:"delimiter"`
		Encoding  string   `json:"encoding"`
		Linebreak string   `json:"linebreak"`
		Sheet     string   `json:"sheet"`
		Sheets    []string `json:"sheets"`
	}{s.Format, s.Delimiter, s.Encoding, s.Linebreak, s.Sheet, s.Sheets}
	if o.Settings.Sheets == nil {
		o.Settings.Sheets = []string{}
	}
	return o
}

func codeOrText(err error) string {
	if c := Code(err); c != "" {
		return c
	}
	return err.Error()
}

// parityJobs lists the corpus, the shapes, forced settings and generated
// files in the single-byte and East Asian encodings.
func parityJobs(t *testing.T, root string) []job {
	t.Helper()
	var jobs []job
	shapes := filepath.Join(root, "testdata", "parse", "shapes")
	for _, dir := range []string{filepath.Join(root, "testdata", "corpus"), shapes} {
		err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			jobs = append(jobs, job{Path: path, Name: d.Name(), mustParse: dir == shapes})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	corpus := func(p string) string { return filepath.Join(root, "testdata", "corpus", filepath.FromSlash(p)) }
	for _, enc := range Encodings {
		for _, f := range []string{"csvkit/test_latin1.csv", "csvkit/test_utf16_big.csv", "csvkit/test_utf8_bom.csv"} {
			jobs = append(jobs, job{Path: corpus(f), Name: filepath.Base(f), Encoding: enc})
		}
	}
	for _, d := range Delimiters {
		jobs = append(jobs, job{Path: corpus("csvkit/dummy.tsv"), Name: "dummy.tsv", Delimiter: d},
			job{Path: corpus("csv-spectrum/csvs/comma_in_quotes.csv"), Name: "comma_in_quotes.csv", Delimiter: d})
	}
	for _, s := range []string{"#1", "#2", "#3", "#4", "Sheet1", "no such sheet"} {
		jobs = append(jobs, job{Path: corpus("sheetjs/mixed_sheets.xlsx"), Name: "mixed_sheets.xlsx", Sheet: s},
			job{Path: corpus("csvkit/sheets.xlsx"), Name: "sheets.xlsx", Sheet: s})
	}
	// Random bytes in lines of fields, so every decoder meets every byte.
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(16, 1))
	for i := range 4 {
		var b bytes.Buffer
		for range 400 {
			for f := range 4 {
				if f > 0 {
					b.WriteByte(';')
				}
				for range rng.IntN(12) {
					c := byte(rng.IntN(256))
					if c == ';' || c == '\n' || c == '\r' || c == '"' {
						c = 'x'
					}
					b.WriteByte(c)
				}
			}
			b.WriteString("\r\n")
		}
		path := filepath.Join(dir, fmt.Sprintf("random-%d.csv", i))
		if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, enc := range Encodings {
			jobs = append(jobs, job{Path: path, Name: filepath.Base(path), Encoding: enc})
		}
	}
	for _, path := range generatedWorkbooks(t, dir) {
		jobs = append(jobs, job{Path: path, Name: filepath.Base(path), mustParse: true})
	}
	return jobs
}

func TestParityWithWidget(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	jobs := parityJobs(t, root)
	if len(jobs) < 80 {
		t.Fatalf("only %d files: the corpus or the shapes are missing", len(jobs))
	}
	widget := widgetParse(t, root, jobs)
	agreed := 0
	for i, j := range jobs {
		name := strings.TrimPrefix(j.Path, root+string(filepath.Separator))
		if j.Encoding+j.Delimiter+j.Sheet != "" {
			name += fmt.Sprintf(" [encoding %q delimiter %q sheet %q]", j.Encoding, j.Delimiter, j.Sheet)
		}
		server := serverParse(j)
		w := widget[i]
		if w.Settings != nil && w.Settings.Sheets == nil {
			w.Settings.Sheets = []string{}
		}
		switch {
		case j.mustParse && server.Error != "":
			t.Errorf("%s: %s", name, server.Error)
			continue
		case w.Error != "" || server.Error != "":
			if w.Error != server.Error {
				t.Errorf("%s: widget error %q, server error %q", name, w.Error, server.Error)
				continue
			}
		case !reflect.DeepEqual(w.Settings, server.Settings):
			t.Errorf("%s: settings differ: widget %+v, server %+v", name, *w.Settings, *server.Settings)
			continue
		case w.Skipped != server.Skipped:
			t.Errorf("%s: blank rows: widget %d, server %d", name, w.Skipped, server.Skipped)
			continue
		case !slices.EqualFunc(w.Rows, server.Rows, slices.Equal):
			t.Errorf("%s: rows differ: %s", name, firstDifference(w.Rows, server.Rows))
			continue
		}
		agreed++
	}
	t.Logf("%d of %d files parse the same in the widget and on the server", agreed, len(jobs))
}

// firstDifference says where two row lists part, by position only.
func firstDifference(w, s [][]string) string {
	for r := range min(len(w), len(s)) {
		if !slices.Equal(w[r], s[r]) {
			for c := range min(len(w[r]), len(s[r])) {
				if a, b := w[r][c], s[r][c]; a != b {
					at := 0
					for at < min(len(a), len(b)) && a[at] == b[at] {
						at++
					}
					cut := func(x string) string { return x[max(0, at-8):min(len(x), at+24)] }
					return fmt.Sprintf("row %d cell %d, byte %d: widget %q, server %q", r, c, at, cut(a), cut(b))
				}
			}
			return fmt.Sprintf("row %d: widget %d cells, server %d", r, len(w[r]), len(s[r]))
		}
	}
	return fmt.Sprintf("widget %d rows, server %d", len(w), len(s))
}

// In the sheetjs 1904 workbooks column B holds date serials and column D
// Excel's own TEXT(B, "YYYY-MM-DD"): the server's dates must be Excel's.
func TestDatesAreExcels(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"1904.xlsx", "1900.xlsx"} {
		path := filepath.Join(repoRoot(t), "testdata", "corpus", "sheetjs", "1904", name)
		o := serverParse(job{Path: path, Name: name})
		if o.Error != "" {
			t.Fatalf("%s: %s", name, o.Error)
		}
		if len(o.Rows) < 2 {
			t.Fatalf("%s: %d rows", name, len(o.Rows))
		}
		for r, row := range o.Rows {
			if len(row) < 4 || row[1] != row[3] || len(row[1]) != len("2006-01-02") {
				t.Errorf("%s row %d: date %q, Excel says %q", name, r+1, row[1], row[3])
			}
		}
	}
}
