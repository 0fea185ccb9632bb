package widget

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The browser tests drive the real widget in headless Chromium against a
// loopback server. They need /usr/bin/chromium (Debian: apt-get install
// chromium) and skip without it, or with -short.

const chromiumPath = "/usr/bin/chromium"

// newBrowser starts a fresh headless Chromium (own profile, no network but
// loopback in use) and returns a tab context.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("browser test needs %s (apt-get install chromium): %v", chromiumPath, err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// testServer is Intake as far as the widget can tell: the widget's handlers,
// importers held in memory and the fake upload API.
type testServer struct {
	*httptest.Server
	uploads *fakeUploads
	mu      sync.Mutex
	byKey   map[string]Importer
}

func newTestServer(t *testing.T, maxChunkBytes int) *testServer {
	t.Helper()
	s := &testServer{uploads: newFakeUploads(maxChunkBytes), byKey: map[string]Importer{}}
	mux := http.NewServeMux()
	Register(mux, func(_ context.Context, key string) (Importer, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		imp, ok := s.byKey[key]
		if !ok {
			return Importer{}, fmt.Errorf("importer %s: %w", key, ErrNotFound)
		}
		return imp, nil
	}, slog.New(slog.DiscardHandler))
	s.uploads.register(mux)
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

type templateColumn struct {
	Key      string `json:"key"`
	Label    string `json:"label,omitempty"`
	Type     string `json:"type"`
	Required bool   `json:"required,omitempty"`
}

func (s *testServer) addImporter(t *testing.T, key string, columns []templateColumn) {
	t.Helper()
	tmpl, err := json.Marshal(map[string]any{"columns": columns})
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byKey[key] = Importer{Key: key, Name: "Test " + key, Template: tmpl, Mode: "stored"}
}

// corpusDir is ../shared/corpus next to the repository; tests that need it
// skip when it is absent.
func corpusDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "corpus"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared corpus not found at %s", dir)
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
		actions = append(actions, chromedp.Click(chromedp.CSS(`[data-testid=no-header]`)))
	}
	actions = append(actions,
		chromedp.Click(chromedp.CSS(`[data-testid=header-next]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=map-next]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=map-next]`)),
		chromedp.WaitVisible(chromedp.CSS(`.grid[data-ready]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=submit]:not([disabled])`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=done]`)),
	)
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
// byte for byte.
func checkStored(t *testing.T, s *testServer, key string, header []string, expected []map[string]string) {
	t.Helper()
	rows, _, err := s.uploads.storedRows(key)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(expected) {
		t.Fatalf("stored %d rows, want %d", len(rows), len(expected))
	}
	for r, want := range expected {
		for i, h := range header {
			got := rows[r][fmt.Sprintf("c%d", i)]
			if got == nil || *got != want[h] {
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
	ctx := newBrowser(t)
	s := newTestServer(t, 1<<20)
	files, err := filepath.Glob(filepath.Join(dir, "csvs", "*.csv"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no csv-spectrum files: %v", err)
	}
	for i, file := range files {
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
			key := fmt.Sprintf("imp_spectrum%d", i)
			s.addImporter(t, key, columnsFor(header))
			if err := importFile(ctx, s.URL, key, file, false); err != nil {
				t.Fatal(err)
			}
			checkStored(t, s, key, header, expected)
		})
	}
}

func TestBrowserCSVKitEncodings(t *testing.T) {
	dir := filepath.Join(corpusDir(t), "csvkit")
	ctx := newBrowser(t)
	s := newTestServer(t, 1<<20)
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
	for i, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			key := fmt.Sprintf("imp_enc%d", i)
			s.addImporter(t, key, columnsFor(tt.header))
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
	ctx := newBrowser(t)
	s := newTestServer(t, 1<<20)
	files, _ := filepath.Glob(filepath.Join(dir, "*.xlsx"))
	if len(files) == 0 {
		t.Fatal("no sheetjs/1904 workbooks")
	}
	for i, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			key := fmt.Sprintf("imp_dates%d", i)
			// The workbooks have no header row: columns are matched by their
			// spreadsheet names.
			s.addImporter(t, key, []templateColumn{{Key: "b", Label: "Column B", Type: "text"}, {Key: "d", Label: "Column D", Type: "text"}})
			if err := importFile(ctx, s.URL, key, file, true); err != nil {
				t.Fatal(err)
			}
			rows, _, err := s.uploads.storedRows(key)
			if err != nil {
				t.Fatal(err)
			}
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
