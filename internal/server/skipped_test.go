package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/intakehq/intake/internal/server/servertest"
)

// TestCompleteRowsSkipped: the completion takes the widget's count of the
// blank rows it dropped, answers it back, and refuses a count that is not
// a sane non-negative integer with a clear 400.
func TestCompleteRowsSkipped(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	im := createImporter(t, env, env.APIKey, nil)
	rows := makeRows(3, "skip")
	for _, tt := range []struct {
		name, body string
		status     int
		want       string
	}{
		{"absent", `{"chunks":1,"rows":3}`, 200, `"rows_skipped":0`},
		{"counted", `{"chunks":1,"rows":3,"rows_skipped":4}`, 200, `"rows_skipped":4`},
		{"negative", `{"chunks":1,"rows":3,"rows_skipped":-1}`, 400, `"code":"bad_rows_skipped"`},
		{"too many", `{"chunks":1,"rows":3,"rows_skipped":1000000001}`, 400, `rows_skipped must be an integer from 0 to 1000000000`},
		{"string", `{"chunks":1,"rows":3,"rows_skipped":"4"}`, 400, `field \"rows_skipped\" must be a whole number`},
		{"fraction", `{"chunks":1,"rows":3,"rows_skipped":1.5}`, 400, `"code":"bad_json"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			up := createUpload(t, env, im.Key, []string{"name", "email", "amount"}, len(rows))
			if code, body := putChunk(t, env, up, 0, chunkBody(0, rows), false); code != 200 {
				t.Fatalf("chunk: %d %s", code, body)
			}
			if code, body := complete(t, env, up, tt.body); code != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("HTTP %d %s, want %d with %s", code, body, tt.status, tt.want)
			}
		})
	}
}

// complete posts a completion body and returns status and answer.
func complete(t *testing.T, env *servertest.Env, up upload, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", env.URL+"/api/v1/uploads/"+up.ImportID+"/complete", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+up.UploadToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestBlankRowsDropped: rows whose every cell is empty after trimming are
// dropped by the server and counted; the row count announced is still
// checked against what was sent (stored plus dropped), the completion
// answers the rows stored, and the completion event records the blank rows
// of the widget and of the server together, as a count. Errors keep naming
// rows as sent.
func TestBlankRowsDropped(t *testing.T) {
	t.Parallel()
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			env := servertest.Start(t, b.opts)
			im := createImporter(t, env, env.APIKey, nil)
			rows := makeRows(3, "blank")
			const canary = "blank-canary-\u00a0"
			chunk0 := [][]*string{rows[0], {nil, nil, nil}, {s("  "), s("\t\u00a0\u3000"), s("\ufeff")}, rows[1]}
			chunk1 := [][]*string{rows[2], {s(""), nil, s(" \r\n")}}
			columns := []string{"name", "email", "amount"}

			up := createUpload(t, env, im.Key, columns, 6)
			for n, tt := range []struct {
				first int
				rows  [][]*string
				want  string
			}{{0, chunk0, `"rows":2,"rows_skipped":2,`}, {4, chunk1, `"rows":1,"rows_skipped":1,`}} {
				if code, body := putChunk(t, env, up, n, chunkBody(tt.first, tt.rows), n == 1); code != 200 || !strings.Contains(body, tt.want) {
					t.Fatalf("chunk %d: %d %s, want %s", n, code, body, tt.want)
				}
			}
			// The announced count is what was sent: the stored count is short by the blank rows.
			if code, body := complete(t, env, up, `{"chunks":2,"rows":3}`); code != http.StatusConflict || !strings.Contains(body, "row_count_mismatch") {
				t.Fatalf("completion with the stored count instead of the sent one: %d %s", code, body)
			}
			for range 2 { // a retried completion is answered the same
				code, body := complete(t, env, up, `{"chunks":2,"rows":6,"rows_skipped":2}`)
				if code != 200 || !strings.Contains(body, `"rows":3,`) || !strings.Contains(body, `"rows_skipped":5`) {
					t.Fatalf("complete: %d %s", code, body)
				}
			}
			var page struct {
				Total      int64       `json:"total"`
				Rows       [][]*string `json:"rows"`
				RowNumbers []int64     `json:"row_numbers"`
			}
			if code := env.Do(t, "GET", "/api/v1/imports/"+up.ImportID+"/rows", env.APIKey, nil, &page); code != 200 || page.Total != 3 || len(page.Rows) != 3 {
				t.Fatalf("rows read back: %d, total %d", code, page.Total)
			}
			// The stored rows keep their numbers as sent.
			if fmt.Sprint(page.RowNumbers) != "[0 3 4]" || *page.Rows[1][0] != *rows[1][0] {
				t.Errorf("row numbers %v, want [0 3 4]", page.RowNumbers)
			}
			var log struct {
				Events []struct {
					Kind string          `json:"kind"`
					Data json.RawMessage `json:"data"`
				} `json:"events"`
			}
			env.Do(t, "GET", "/api/v1/imports/"+up.ImportID+"/log", env.APIKey, nil, &log)
			last := log.Events[len(log.Events)-1]
			var done struct {
				Rows        int64 `json:"rows"`
				RowsSkipped int64 `json:"rows_skipped"`
			}
			if err := json.Unmarshal(last.Data, &done); err != nil || last.Kind != "import.completed" || done.Rows != 3 || done.RowsSkipped != 5 {
				t.Fatalf("completion event %s %s", last.Kind, last.Data)
			}

			// A refused row after a blank one is named as sent (row 1), not as stored.
			up = createUpload(t, env, im.Key, columns, 2)
			code, body := putChunk(t, env, up, 0, chunkBody(0, [][]*string{{nil, s(" "), nil}, {nil, s("x@example.com"), s(canary)}}), false)
			if code != http.StatusUnprocessableEntity || !strings.Contains(body, `"row":1,"column":"name"`) {
				t.Fatalf("refused chunk: %d %s", code, body)
			}
			if strings.Contains(env.Logs.String(), canary) {
				t.Fatal("a cell value reached the log")
			}
		})
	}
}
