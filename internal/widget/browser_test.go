package widget_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/intakehq/intake/internal/browsertest"
	"github.com/intakehq/intake/internal/config"
	"github.com/intakehq/intake/internal/server/servertest"
)

// The browser tests drive the real widget in headless Chromium against a
// loopback server. They need /usr/bin/chromium (Debian: apt-get install
// chromium) and skip without it (fail in CI), or with -short.

// testServer is a real Intake (internal/server on SQLite and file blobs)
// behind a loopback proxy that can play dead: while stopped, every API
// request has its connection dropped, as when the server goes away mid-upload.
type testServer struct {
	env         *servertest.Env
	URL         string
	stopped     atomic.Bool
	importerIDs sync.Map
	// stopAfter > 0 stops the server when that many chunks went through.
	stopAfter atomic.Int64
	chunks    atomic.Int64
	// served times the upload requests, for the benchmark.
	served serverTiming
}

// serverTiming records when the server was at work on each upload request
// (chunk PUTs and the completion), as the proxy saw them: from the request's
// headers to the last byte of the answer, so a chunk's time includes reading
// its body over loopback.
type serverTiming struct {
	mu       sync.Mutex
	chunks   [][2]time.Time
	complete time.Duration
	// refused counts the chunk requests answered other than 200, by status
	// (429 when the server had no memory for them: the widget retries).
	refused map[int]int
	// gzipped counts the chunk requests sent gzip'd, bytes the bodies' bytes as sent.
	gzipped int
	bytes   int64
}

func (st *serverTiming) record(r *http.Request, status int, start, end time.Time) {
	st.mu.Lock()
	defer st.mu.Unlock()
	switch {
	case r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/chunks/"):
		st.chunks = append(st.chunks, [2]time.Time{start, end})
		st.bytes += max(r.ContentLength, 0)
		if r.Header.Get("Content-Encoding") == "gzip" {
			st.gzipped++
		}
		if status != http.StatusOK {
			if st.refused == nil {
				st.refused = map[int]int{}
			}
			st.refused[status]++
		}
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/complete"):
		st.complete += end.Sub(start)
	}
}

func (st *serverTiming) reset() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.chunks, st.complete, st.refused, st.gzipped, st.bytes = nil, 0, nil, 0, 0
}

// statusWriter remembers the status a handler answered with.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

// Unwrap lets http.ResponseController reach the connection (read deadlines, hijacking).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func newTestServer(t *testing.T, maxChunkBytes int64) *testServer {
	t.Helper()
	s := &testServer{}
	s.env = servertest.Start(t, servertest.Options{Configure: func(c *config.Config) {
		if maxChunkBytes > 0 {
			c.MaxChunkBytes = maxChunkBytes
		}
	}})
	h := s.env.Server.Handler
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/chunks/") {
			if n := s.chunks.Add(1); s.stopAfter.Load() > 0 && n > s.stopAfter.Load() {
				s.stopped.Store(true)
			}
		}
		if s.stopped.Load() && strings.HasPrefix(r.URL.Path, "/api/") {
			if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		s.served.record(r, sw.status, start, time.Now())
	}))
	t.Cleanup(proxy.Close)
	s.URL = proxy.URL
	return s
}

type templateColumn struct {
	Key      string `json:"key"`
	Label    string `json:"label,omitempty"`
	Type     string `json:"type"`
	Required bool   `json:"required,omitempty"`
}

// addImporter creates an importer through the management API and returns
// its public key.
func (s *testServer) addImporter(t *testing.T, columns []templateColumn) (key string) {
	t.Helper()
	return s.addImporterWith(t, columns, nil)
}

// addImporterWith creates an importer with extra settings (allowed_origins…).
func (s *testServer) addImporterWith(t *testing.T, columns []templateColumn, extra map[string]any) (key string) {
	t.Helper()
	tmpl, err := json.Marshal(map[string]any{"columns": columns})
	if err != nil {
		t.Fatal(err)
	}
	return s.addImporterTemplate(t, tmpl, extra)
}

// addImporterTemplate creates an importer from template JSON and settings.
func (s *testServer) addImporterTemplate(t *testing.T, tmpl json.RawMessage, extra map[string]any) (key string) {
	t.Helper()
	body := map[string]any{"name": "Test", "template": tmpl}
	for k, v := range extra {
		body[k] = v
	}
	var im struct{ ID, Key string }
	if code := s.env.Do(t, "POST", "/api/v1/importers", s.env.APIKey, body, &im); code != http.StatusCreated {
		t.Fatalf("create importer: HTTP %d", code)
	}
	s.importerIDs.Store(im.Key, im.ID)
	return im.Key
}

// storedRows reads back, through the API, the rows the server stored for
// the one completed import of an importer: objects keyed by column.
func (s *testServer) storedRows(t *testing.T, key string) ([]map[string]*string, int) {
	t.Helper()
	id, _ := s.importerIDs.Load(key)
	var list struct {
		Imports []struct{ ID string } `json:"imports"`
	}
	s.env.Do(t, "GET", fmt.Sprintf("/api/v1/imports?importer=%s&status=completed", id), s.env.APIKey, nil, &list)
	if len(list.Imports) != 1 {
		t.Fatalf("importer %s has %d completed imports, want 1", key, len(list.Imports))
	}
	var out []map[string]*string
	for {
		var page struct {
			Columns []string    `json:"columns"`
			Rows    [][]*string `json:"rows"`
			Total   int         `json:"total"`
		}
		if code := s.env.Do(t, "GET", fmt.Sprintf("/api/v1/imports/%s/rows?limit=10000&offset=%d", list.Imports[0].ID, len(out)), s.env.APIKey, nil, &page); code != http.StatusOK {
			t.Fatalf("read rows: HTTP %d", code)
		}
		for _, row := range page.Rows {
			m := map[string]*string{}
			for i, col := range page.Columns {
				m[col] = row[i]
			}
			out = append(out, m)
		}
		if len(page.Rows) == 0 || len(out) >= page.Total {
			return out, page.Total
		}
	}
}

// corpusDir is the repository's testdata/corpus (external files copied with
// their licences); a missing file is a failure, never a skip.
func corpusDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "testdata", "corpus"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("corpus not found at %s: %v", dir, err)
	}
	return dir
}

// pageText helps diagnose a failed step: what the widget shows.
func pageText(ctx context.Context) string {
	text, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
	return text
}

// importFile runs the whole flow on the hosted page: choose the file, accept
// the header row (or say there is none), accept the matching, submit.
func importFile(parent context.Context, base, key, path string, noHeader bool) error {
	ctx, cancel := context.WithTimeout(parent, 30*time.Second)
	defer cancel()
	actions := []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(base + "/i/" + key),
		chromedp.WaitReady(chromedp.CSS(`input[type=file]`)),
		chromedp.SetUploadFiles(chromedp.CSS(`input[type=file]`), []string{path}),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=header-next]`)),
	}
	if noHeader {
		// Checked, not toggled: the widget may already propose "no header row".
		actions = append(actions, chromedp.Evaluate[chromedp.Void](`(() => { const c = document.querySelector("[data-testid=no-header]"); if (!c.checked) c.click(); })()`))
	}
	actions = append(actions, chromedp.Click(chromedp.CSS(`[data-testid=header-next]`)))
	actions = append(actions, browsertest.SubmitFromMatching()...)
	if err := chromedp.Do(ctx, actions...); err != nil {
		return fmt.Errorf("import %s: %w; page shows: %q", filepath.Base(path), err, pageText(parent))
	}
	return nil
}

// orderedHeader returns the keys of the first object of a JSON array in file
// order (a Go map would lose it).
func orderedHeader(t *testing.T, data []byte) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(data)))
	var keys []string
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("read header: %v", err)
		}
		switch v := tok.(type) {
		case json.Delim:
			if v == '[' || v == '{' {
				depth++
			} else {
				depth--
				if depth == 1 {
					return keys
				}
			}
		case string:
			if depth == 2 {
				keys = append(keys, v)
				if _, err := dec.Token(); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

func columnsFor(header []string) []templateColumn {
	cols := make([]templateColumn, len(header))
	for i, h := range header {
		cols[i] = templateColumn{Key: fmt.Sprintf("c%d", i), Label: h, Type: "text"}
	}
	return cols
}

// checkStored compares the rows the server stored with expected objects,
// byte for byte. The server stores normalised values, in which an empty
// cell is null (docs/templates.md), so an expected "" matches null.
func checkStored(t *testing.T, s *testServer, key string, header []string, expected []map[string]string) {
	t.Helper()
	rows, _ := s.storedRows(t, key)
	if len(rows) != len(expected) {
		t.Fatalf("stored %d rows, want %d", len(rows), len(expected))
	}
	for r, want := range expected {
		for i, h := range header {
			got := rows[r][fmt.Sprintf("c%d", i)]
			if (got == nil && want[h] != "") || (got != nil && *got != want[h]) {
				t.Errorf("row %d column %q: got %q, want %q", r+1, h, deref(got), want[h])
			}
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return "<null>"
	}
	return *s
}

func TestBrowserCSVSpectrum(t *testing.T) {
	dir := filepath.Join(corpusDir(t), "csv-spectrum")
	ctx := browsertest.New(t)
	s := newTestServer(t, 0)
	files, err := filepath.Glob(filepath.Join(dir, "csvs", "*.csv"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no csv-spectrum files: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".csv")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, "json", name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			var expected []map[string]string
			if err := json.Unmarshal(data, &expected); err != nil {
				t.Fatal(err)
			}
			header := orderedHeader(t, data)
			key := s.addImporter(t, columnsFor(header))
			if err := importFile(ctx, s.URL, key, file, false); err != nil {
				t.Fatal(err)
			}
			checkStored(t, s, key, header, expected)
		})
	}
}

func TestBrowserCSVKitEncodings(t *testing.T) {
	dir := filepath.Join(corpusDir(t), "csvkit")
	ctx := browsertest.New(t)
	s := newTestServer(t, 0)
	tests := []struct {
		file   string
		header []string
		last   string
	}{
		{"test_latin1.csv", []string{"a", "b", "c"}, "©"},
		{"test_utf8.csv", []string{"foo", "bar", "baz"}, "ʤ"},
		{"test_utf8_bom.csv", []string{"foo", "bar", "baz"}, "ʤ"},
		{"test_utf16_little.csv", []string{"a", "b", "c"}, "ʤ"},
		{"test_utf16_big.csv", []string{"a", "b", "c"}, "ʤ"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			key := s.addImporter(t, columnsFor(tt.header))
			if err := importFile(ctx, s.URL, key, filepath.Join(dir, tt.file), false); err != nil {
				t.Fatal(err)
			}
			h := tt.header
			checkStored(t, s, key, h, []map[string]string{
				{h[0]: "1", h[1]: "2", h[2]: "3"},
				{h[0]: "4", h[1]: "5", h[2]: tt.last},
			})
		})
	}
}

func TestBrowserExcelDates(t *testing.T) {
	dir := filepath.Join(corpusDir(t), "sheetjs", "1904")
	ctx := browsertest.New(t)
	s := newTestServer(t, 0)
	// XLSX through the streaming reader, XLS and ODS through the lazily
	// loaded SheetJS build.
	files, _ := filepath.Glob(filepath.Join(dir, "*.*"))
	if len(files) < 5 {
		t.Fatalf("sheetjs/1904 holds %d workbooks, want 1900/1904 × xlsx/xls (+ods)", len(files))
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			// The workbooks have no header row: columns are matched by their
			// spreadsheet names.
			key := s.addImporter(t, []templateColumn{{Key: "b", Label: "Column B", Type: "text"}, {Key: "d", Label: "Column D", Type: "text"}})
			if err := importFile(ctx, s.URL, key, file, true); err != nil {
				t.Fatal(err)
			}
			rows, _ := s.storedRows(t, key)
			if len(rows) == 0 {
				t.Fatal("no rows stored")
			}
			for r, row := range rows {
				if deref(row["b"]) != deref(row["d"]) || len(deref(row["b"])) != len("2006-01-02") {
					t.Errorf("row %d: date %q, Excel says %q", r+1, deref(row["b"]), deref(row["d"]))
				}
			}
		})
	}
}
