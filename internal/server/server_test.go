package server_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/intakehq/intake/internal/server/servertest"
	"github.com/intakehq/intake/internal/template"
	"github.com/intakehq/intake/internal/validate"
)

const testTemplate = `{"columns":[
	{"key":"name","label":"Name","type":"text","required":true,"max_length":100},
	{"key":"email","label":"Email","type":"email","unique":true,"unique_ignore_case":true},
	{"key":"amount","label":"Amount","type":"number"}]}`

type importer struct {
	ID  string `json:"id"`
	Key string `json:"key"`
}

func createImporter(t *testing.T, env *servertest.Env, apiKey string, extra map[string]any) importer {
	t.Helper()
	body := map[string]any{"name": "Customers", "template": json.RawMessage(testTemplate)}
	for k, v := range extra {
		body[k] = v
	}
	var im importer
	if code := env.Do(t, "POST", "/api/v1/importers", apiKey, body, &im); code != http.StatusCreated {
		t.Fatalf("create importer: %d", code)
	}
	if !strings.HasPrefix(im.Key, "imp_") {
		t.Fatalf("importer key %q", im.Key)
	}
	return im
}

type upload struct {
	ImportID      string `json:"import_id"`
	UploadToken   string `json:"upload_token"`
	MaxChunkBytes int64  `json:"max_chunk_bytes"`
}

func createUpload(t *testing.T, env *servertest.Env, key string, columns []string, rows int) upload {
	t.Helper()
	var up upload
	code := env.Do(t, "POST", "/api/v1/uploads", "", map[string]any{"importer": key, "columns": columns,
		"source": map[string]any{"format": "csv", "size_bytes": 1000}, "rows": rows}, &up)
	if code != http.StatusCreated {
		t.Fatalf("create upload: %d", code)
	}
	return up
}

func chunkBody(first int, rows [][]*string) []byte {
	b, _ := json.Marshal(map[string]any{"first_row": first, "rows": rows})
	return b
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// putChunk sends a chunk, gzip'd when zip is set, and returns status and body.
func putChunk(t *testing.T, env *servertest.Env, up upload, n int, body []byte, zip bool) (int, string) {
	t.Helper()
	if zip {
		body = gz(body)
	}
	req, _ := http.NewRequest("PUT", fmt.Sprintf("%s/api/v1/uploads/%s/chunks/%d", env.URL, up.ImportID, n), bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+up.UploadToken)
	if zip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func s(v string) *string { return &v }

// makeRows returns n rows of the test template, valid, with unique emails.
func makeRows(n int, tag string) [][]*string {
	rows := make([][]*string, n)
	for i := range rows {
		rows[i] = []*string{s(fmt.Sprintf("Zoë %s %d", tag, i)), s(fmt.Sprintf("user%d.%s@example.com", i, tag)), s(fmt.Sprintf("%d.5", i))}
	}
	return rows
}

type rowsPage struct {
	Columns []string    `json:"columns"`
	Total   int64       `json:"total"`
	Rows    [][]*string `json:"rows"`
	Errors  []struct {
		Row    int64  `json:"row"`
		Column string `json:"column"`
		Code   string `json:"code"`
	} `json:"errors"`
}

func backends() []struct {
	name string
	opts servertest.Options
} {
	return []struct {
		name string
		opts servertest.Options
	}{
		{"sqlite+file", servertest.Options{}},
		{"postgres+s3", servertest.Options{Postgres: true, S3: true}},
	}
}

// TestUploadFlow drives a whole import through the API: chunks out of order
// and in parallel, gzip and identity, a retried chunk, a conflicting chunk,
// resumption status, completion, and reading the rows back decrypted.
func TestUploadFlow(t *testing.T) {
	t.Parallel()
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			env := servertest.Start(t, b.opts)
			im := createImporter(t, env, env.APIKey, nil)
			rows := makeRows(250, "flow")
			up := createUpload(t, env, im.Key, []string{"name", "email", "amount"}, len(rows))
			if up.MaxChunkBytes <= 0 || up.UploadToken == "" {
				t.Fatalf("upload session %+v", up)
			}
			var wg sync.WaitGroup
			for _, n := range []int{4, 2, 0, 3, 1} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if code, body := putChunk(t, env, up, n, chunkBody(n*50, rows[n*50:n*50+50]), n%2 == 0); code != 200 {
						t.Errorf("chunk %d: %d %s\n%s", n, code, body, env.Logs.String())
					}
				}()
			}
			wg.Wait()
			if code, body := putChunk(t, env, up, 2, chunkBody(100, rows[100:150]), false); code != 200 || !strings.Contains(body, `"duplicate":true`) {
				t.Fatalf("retried chunk: %d %s", code, body)
			}
			if code, _ := putChunk(t, env, up, 2, chunkBody(100, rows[101:151]), false); code != http.StatusConflict {
				t.Fatalf("conflicting chunk: %d", code)
			}
			var st struct {
				Status string `json:"status"`
				Chunks []int  `json:"chunks"`
			}
			env.Do(t, "GET", "/api/v1/uploads/"+up.ImportID, up.UploadToken, nil, &st)
			if st.Status != "uploading" || fmt.Sprint(st.Chunks) != "[0 1 2 3 4]" {
				t.Fatalf("status %+v", st)
			}
			var done struct {
				Rows           int64 `json:"rows"`
				RowsWithErrors int64 `json:"rows_with_errors"`
			}
			if code := env.Do(t, "POST", "/api/v1/uploads/"+up.ImportID+"/complete", up.UploadToken, map[string]any{"chunks": 5, "rows": 250}, &done); code != 200 {
				t.Fatalf("complete: %d", code)
			}
			if done.Rows != 250 || done.RowsWithErrors != 0 {
				t.Fatalf("completion %+v", done)
			}
			if code, _ := putChunk(t, env, up, 5, chunkBody(250, rows[:1]), false); code != http.StatusConflict {
				t.Fatalf("chunk after completion: %d", code)
			}
			var page rowsPage
			if code := env.Do(t, "GET", "/api/v1/imports/"+up.ImportID+"/rows?offset=0&limit=1000", env.APIKey, nil, &page); code != 200 {
				t.Fatalf("rows: %d", code)
			}
			want, _ := normalise(t, rows)
			if page.Total != 250 || !reflect.DeepEqual(page.Rows, want) {
				t.Fatalf("rows read back differ from rows sent (total %d)", page.Total)
			}
			var window rowsPage
			env.Do(t, "GET", "/api/v1/imports/"+up.ImportID+"/rows?offset=45&limit=10", env.APIKey, nil, &window)
			if !reflect.DeepEqual(window.Rows, want[45:55]) {
				t.Fatalf("window 45..55 differs")
			}
			var log struct {
				Events []struct {
					Kind string `json:"kind"`
				} `json:"events"`
			}
			env.Do(t, "GET", "/api/v1/imports/"+up.ImportID+"/log", env.APIKey, nil, &log)
			if len(log.Events) != 7 || log.Events[0].Kind != "import.created" || log.Events[6].Kind != "import.completed" {
				t.Fatalf("import log %+v", log.Events)
			}
			// The same log in pages of 3: 3, 3, 1 events, then no next page.
			var paged []string
			after := ""
			for page := 0; ; page++ {
				var p struct {
					Events []struct {
						Kind string `json:"kind"`
					} `json:"events"`
					NextAfter *int64 `json:"next_after"`
				}
				if code := env.Do(t, "GET", "/api/v1/imports/"+up.ImportID+"/log?limit=3"+after, env.APIKey, nil, &p); code != 200 || page > 3 {
					t.Fatalf("log page %d: HTTP %d", page, code)
				}
				for _, e := range p.Events {
					paged = append(paged, e.Kind)
				}
				if p.NextAfter == nil {
					break
				}
				after = fmt.Sprintf("&after=%d", *p.NextAfter)
			}
			if len(paged) != 7 || paged[0] != "import.created" || paged[6] != "import.completed" {
				t.Fatalf("paged import log %v", paged)
			}
		})
	}
}

// normalise runs the template engine over rows, as the server must.
func normalise(t *testing.T, rows [][]*string) ([][]*string, []validate.Error) {
	t.Helper()
	tmpl, err := template.Parse([]byte(testTemplate))
	if err != nil {
		t.Fatal(err)
	}
	out, errs, err := validate.Validate(tmpl, rows)
	if err != nil {
		t.Fatal(err)
	}
	return out, errs
}

// TestInvalidRows: with allow_invalid=false a chunk with invalid rows is
// refused with positions and codes, never values; with allow_invalid=true it
// is stored and its errors are counted and readable.
func TestInvalidRows(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	const canary = "CANARY-invalid-6b1d"
	rows := [][]*string{
		{s("ok"), s("a@example.com"), s("1")},
		{nil, s(canary + "-not-an-email"), s("1")},
		{s("dup"), s("A@example.com"), s(canary)},
	}
	strict := createImporter(t, env, env.APIKey, nil)
	up := createUpload(t, env, strict.Key, []string{"name", "email", "amount"}, 3)
	code, body := putChunk(t, env, up, 0, chunkBody(0, rows), true)
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, `"invalid_rows"`) {
		t.Fatalf("strict importer: %d %s", code, body)
	}
	if strings.Contains(body, canary) {
		t.Fatal("refusal quotes a cell value")
	}
	var refusal struct {
		Error struct {
			Details []struct {
				Row    int64  `json:"row"`
				Column string `json:"column"`
				Code   string `json:"code"`
			} `json:"details"`
		} `json:"error"`
	}
	json.Unmarshal([]byte(body), &refusal)
	got := fmt.Sprint(refusal.Error.Details)
	for _, want := range []string{"{1 name required}", "{1 email", "{2 email duplicate}", "{2 amount"} {
		if !strings.Contains(got, want) {
			t.Errorf("details %s lack %s", got, want)
		}
	}
	var st struct{ Chunks []int }
	env.Do(t, "GET", "/api/v1/uploads/"+up.ImportID, up.UploadToken, nil, &st)
	if len(st.Chunks) != 0 {
		t.Fatal("a refused chunk was stored")
	}

	lax := createImporter(t, env, env.APIKey, map[string]any{"allow_invalid": true})
	up = createUpload(t, env, lax.Key, []string{"name", "email", "amount"}, 3)
	if code, body := putChunk(t, env, up, 0, chunkBody(0, rows), false); code != 200 || !strings.Contains(body, `"rows_with_errors":2`) {
		t.Fatalf("lax importer: %d %s", code, body)
	}
	var page rowsPage
	env.Do(t, "GET", "/api/v1/imports/"+up.ImportID+"/rows", env.APIKey, nil, &page)
	if len(page.Errors) < 4 {
		t.Fatalf("stored errors %+v", page.Errors)
	}
	if strings.Contains(env.Logs.String(), canary) {
		t.Fatal("server log holds a cell value")
	}
}

// TestUniqueAcrossChunks: a value held in one chunk is a duplicate in
// another chunk of the same import, found when the import completes and
// held by the later row whichever chunk came first, and free in another
// import.
func TestUniqueAcrossChunks(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	im := createImporter(t, env, env.APIKey, map[string]any{"allow_invalid": true})
	for _, name := range []string{"first import", "second import"} {
		up := createUpload(t, env, im.Key, []string{"email", "name"}, 2)
		putChunk(t, env, up, 1, chunkBody(1, [][]*string{{s("SAME@example.com"), s("b")}}), false)
		putChunk(t, env, up, 0, chunkBody(0, [][]*string{{s("same@example.com"), s("a")}}), false)
		code, body := complete(t, env, up, `{"chunks":2,"rows":2}`)
		if code != 200 || !strings.Contains(body, `"rows_with_errors":1`) {
			t.Fatalf("%s: duplicate across chunks not caught: %d %s", name, code, body)
		}
		var page rowsPage
		env.Do(t, "GET", "/api/v1/imports/"+up.ImportID+"/rows", env.APIKey, nil, &page)
		if len(page.Errors) != 1 || page.Errors[0].Row != 1 || page.Errors[0].Column != "email" || page.Errors[0].Code != "duplicate" {
			t.Fatalf("%s: stored errors %+v", name, page.Errors)
		}
	}
}

func TestMain(m *testing.M) { os.Exit(m.Run()) }

// TestTemplateChangeKeepsStoredColumns: rows are read back under the columns
// they were stored with, even after the importer's template changes.
func TestTemplateChangeKeepsStoredColumns(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	im := createImporter(t, env, env.APIKey, nil)
	up := createUpload(t, env, im.Key, []string{"name", "email", "amount"}, 1)
	putChunk(t, env, up, 0, chunkBody(0, makeRows(1, "tc")), false)
	changed := `{"columns":[{"key":"amount","type":"number"},{"key":"city","type":"text"}]}`
	if code := env.Do(t, "PATCH", "/api/v1/importers/"+im.ID, env.APIKey, map[string]any{"template": json.RawMessage(changed)}, nil); code != 200 {
		t.Fatalf("patch template: %d", code)
	}
	var page rowsPage
	env.Do(t, "GET", "/api/v1/imports/"+up.ImportID+"/rows", env.APIKey, nil, &page)
	if fmt.Sprint(page.Columns) != "[name email amount]" || len(page.Rows) != 1 || *page.Rows[0][0] != "Zoë tc 0" {
		t.Fatalf("after a template change the rows read %v %v", page.Columns, page.Rows)
	}
}
