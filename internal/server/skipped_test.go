package server_test

import (
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
		{"string", `{"chunks":1,"rows":3,"rows_skipped":"4"}`, 400, `field \"rows_skipped\" must be int64`},
		{"fraction", `{"chunks":1,"rows":3,"rows_skipped":1.5}`, 400, `"code":"bad_json"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			up := createUpload(t, env, im.Key, []string{"name", "email", "amount"}, len(rows))
			if code, body := putChunk(t, env, up, 0, chunkBody(0, rows), false); code != 200 {
				t.Fatalf("chunk: %d %s", code, body)
			}
			req, _ := http.NewRequest("POST", env.URL+"/api/v1/uploads/"+up.ImportID+"/complete", strings.NewReader(tt.body))
			req.Header.Set("Authorization", "Bearer "+up.UploadToken)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status || !strings.Contains(string(b), tt.want) {
				t.Errorf("HTTP %d %s, want %d with %s", resp.StatusCode, b, tt.status, tt.want)
			}
		})
	}
}
