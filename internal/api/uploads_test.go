package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake/internal/config"
	"github.com/intakehq/intake/internal/server/servertest"
)

type upload struct {
	ImportID    string `json:"import_id"`
	UploadToken string `json:"upload_token"`
}

func newUpload(t *testing.T, env *servertest.Env, key string, rows int64) (int, upload, string) {
	t.Helper()
	var up upload
	var raw json.RawMessage
	code := env.Do(t, "POST", "/api/v1/uploads", "", map[string]any{"importer": key, "columns": []string{"a", "b", "c"},
		"source": map[string]any{"format": "csv", "size_bytes": 1}, "rows": rows}, &raw)
	_ = json.Unmarshal(raw, &up)
	return code, up, string(raw)
}

type answer struct {
	status     int
	retryAfter string
	code, msg  string
}

func sendChunk(t *testing.T, env *servertest.Env, up upload, n int, body io.Reader) answer {
	t.Helper()
	return sendChunkQuery(t, env, up, n, "", body)
}

// TestUploadBounds (issue 15): the bounds on an upload as the API answers
// them: an announcement past the server's max_import_rows (413
// too_many_rows), a chunk of more rows or cells than a chunk may hold (413),
// each with a JSON error that quotes nothing sent.
func TestUploadBounds(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{Configure: func(c *config.Config) {
		c.MaxImportRows, c.MaxChunkRows, c.MaxChunkCells = 100_000, 5000, 12_000
	}})
	var im struct{ Key string }
	tmpl := json.RawMessage(`{"columns":[{"key":"a","type":"text"},{"key":"b","type":"text"},{"key":"c","type":"text"}]}`)
	if code := env.Do(t, "POST", "/api/v1/importers", env.APIKey, map[string]any{"name": "bounds", "template": tmpl}, &im); code != 201 {
		t.Fatalf("create importer: %d", code)
	}
	if code, _, body := newUpload(t, env, im.Key, 1_000_000_000_000); code != http.StatusRequestEntityTooLarge || !strings.Contains(body, `"too_many_rows"`) ||
		!strings.Contains(body, "rows must be from 0 to 100000") {
		t.Fatalf("announce 10^12 rows: %d %s", code, body)
	}
	code, up, body := newUpload(t, env, im.Key, 100_000)
	if code != http.StatusCreated {
		t.Fatalf("announce 100,000 rows: %d %s", code, body)
	}
	rows := func(n int) io.Reader {
		return strings.NewReader(`{"first_row":0,"rows":[` + strings.TrimSuffix(strings.Repeat(`["secret",null,""],`, n), ",") + `]}`)
	}
	// 12,000 cells of 3 columns: 4,000 rows.
	for _, c := range []struct {
		rows int
		want answer
	}{
		{4001, answer{413, "", "chunk_too_many_cells", "chunk 0 holds more than 12000 cells (rows × columns); send fewer rows a chunk"}},
		{4000, answer{200, "", "", ""}},
	} {
		got := sendChunk(t, env, up, 0, rows(c.rows))
		if got != c.want {
			t.Fatalf("%d rows: %+v, want %+v", c.rows, got, c.want)
		}
	}
	var wide struct{ Key string }
	tmpl = json.RawMessage(`{"columns":[{"key":"a","type":"text"}]}`)
	env.Do(t, "POST", "/api/v1/importers", env.APIKey, map[string]any{"name": "one", "template": tmpl}, &wide)
	var one upload
	env.Do(t, "POST", "/api/v1/uploads", "", map[string]any{"importer": wide.Key, "columns": []string{"a"},
		"source": map[string]any{"format": "csv", "size_bytes": 1}, "rows": 100_000}, &one)
	got := sendChunk(t, env, one, 0, strings.NewReader(`{"first_row":0,"rows":[`+strings.TrimSuffix(strings.Repeat(`["secret"],`, 5001), ",")+`]}`))
	if want := (answer{413, "", "chunk_too_many_rows", "chunk 0 holds more than 5000 rows; send fewer rows a chunk"}); got != want {
		t.Fatalf("5,001 rows: %+v, want %+v", got, want)
	}
}

// TestUploadBusy (issue 15): while the decode memory is taken (here by a
// body being received), another chunk waits half a second at most and gets
// 429 with Retry-After and a JSON error; once the memory is free the same
// chunk goes through.
func TestUploadBusy(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{Configure: func(c *config.Config) { c.DecodeMemoryBytes = 16 << 20 }})
	var im struct{ Key string }
	tmpl := json.RawMessage(`{"columns":[{"key":"a","type":"text"},{"key":"b","type":"text"},{"key":"c","type":"text"}]}`)
	env.Do(t, "POST", "/api/v1/importers", env.APIKey, map[string]any{"name": "busy", "template": tmpl}, &im)
	_, hog, _ := newUpload(t, env, im.Key, 10)
	_, up, _ := newUpload(t, env, im.Key, 10)

	// 8 MiB of a body that never ends: what the server reads of it, it
	// holds, twice over, which is the whole 16 MiB budget.
	pr, pw := io.Pipe()
	hogDone := make(chan struct{})
	go func() {
		defer close(hogDone)
		req, _ := http.NewRequest("PUT", env.URL+"/api/v1/uploads/"+hog.ImportID+"/chunks/0", pr)
		req.Header.Set("Authorization", "Bearer "+hog.UploadToken)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	if _, err := pw.Write(bytes.Repeat([]byte(" "), 8<<20-1)); err != nil {
		t.Fatal(err)
	}
	chunk := `{"first_row":0,"rows":[["a",null,""]]}`
	var got answer
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		start := time.Now()
		// Malformed while the memory is free, so that a probe that gets
		// through stores nothing.
		got = sendChunk(t, env, up, 0, strings.NewReader(`{"first_row":0,"rows":[["a",null,""]`))
		if got.status == http.StatusTooManyRequests {
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("429 after %v, want after about 0.5s", d)
			}
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if want := (answer{429, "1", "server_busy", "the server is taking too many chunks at once; send chunk 0 again in a moment"}); got != want {
		t.Fatalf("chunk while the memory is taken: %+v, want %+v", got, want)
	}
	pw.CloseWithError(io.ErrUnexpectedEOF)
	<-hogDone
	if got := sendChunk(t, env, up, 0, strings.NewReader(chunk)); got.status != http.StatusOK {
		t.Fatalf("chunk once the memory is free: %+v", got)
	}
}

// TestUploadServerTiming: a stored chunk's answer states, as Server-Timing,
// the time the server took once the body was in, without the time the body
// took to arrive: the widget tells the link's speed from it.
func TestUploadServerTiming(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	var im struct{ Key string }
	tmpl := json.RawMessage(`{"columns":[{"key":"a","type":"text"},{"key":"b","type":"text"},{"key":"c","type":"text"}]}`)
	env.Do(t, "POST", "/api/v1/importers", env.APIKey, map[string]any{"name": "timing", "template": tmpl}, &im)
	_, up, _ := newUpload(t, env, im.Key, 1)
	const wait = time.Second
	pr, pw := io.Pipe()
	go func() {
		// The body trickles in: half, a pause, the rest.
		pw.Write([]byte(`{"first_row":0,"rows":`))
		time.Sleep(wait)
		pw.Write([]byte(`[["a",null,""]]}`))
		pw.Close()
	}()
	req, _ := http.NewRequest("PUT", env.URL+"/api/v1/uploads/"+up.ImportID+"/chunks/0", pr)
	req.Header.Set("Authorization", "Bearer "+up.UploadToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	st := resp.Header.Get("Server-Timing")
	ms, ok := strings.CutPrefix(st, "ingest;dur=")
	dur, err := strconv.ParseFloat(ms, 64)
	if resp.StatusCode != http.StatusOK || !ok || err != nil {
		t.Fatalf("HTTP %d, Server-Timing %q", resp.StatusCode, st)
	}
	if dur < 0 || dur >= float64(wait.Milliseconds()) {
		t.Errorf("Server-Timing %q: the time after the body arrived, want under the %v the body took", st, wait)
	}
}
