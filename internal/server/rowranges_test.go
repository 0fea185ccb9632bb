package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/intakehq/intake/internal/server/servertest"
)

// TestCompleteRefusesOverlappingRows (issue 15 B): chunks whose counts add
// up to the rows announced but whose ranges overlap, or leave a gap, do not
// complete an import: 409 with a code naming which, a message of numbers
// only, and the import still uploading; on SQLite with file blobs and on
// PostgreSQL with S3.
func TestCompleteRefusesOverlappingRows(t *testing.T) {
	t.Parallel()
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			env := servertest.Start(t, b.opts)
			imp := createImporter(t, env, env.APIKey, nil)
			cols := []string{"name", "email", "amount"}
			for _, c := range []struct {
				name           string
				firsts         []int
				counts         []int
				code, messages string
			}{
				{"chunks 0 and 1 both from row 0", []int{0, 0}, []int{5, 5}, "rows_overlap", "chunk 1 starts at row 0, inside the rows of the chunks before it (up to row 4)"},
				{"a row in no chunk", []int{0, 6}, []int{5, 4}, "rows_missing", "rows 5 to 5 are in no chunk: chunk 1 starts at row 6"},
			} {
				t.Run(c.name, func(t *testing.T) {
					up := createUpload(t, env, imp.Key, cols, 10)
					total := 0
					for n, first := range c.firsts {
						rows := makeRows(c.counts[n], c.code+string(rune('a'+n)))
						if code, body := putChunk(t, env, up, n, chunkBody(first, rows), n%2 == 0); code != http.StatusOK {
							t.Fatalf("chunk %d: %d %s", n, code, body)
						}
						total += c.counts[n]
					}
					var e struct {
						Error struct{ Code, Message string }
					}
					code := env.Do(t, "POST", "/api/v1/uploads/"+up.ImportID+"/complete", up.UploadToken,
						map[string]any{"chunks": len(c.firsts), "rows": total}, &e)
					if code != http.StatusConflict || e.Error.Code != c.code || !strings.Contains(e.Error.Message, c.messages) {
						t.Fatalf("complete: %d %+v, want 409 %s %q", code, e.Error, c.code, c.messages)
					}
					if strings.Contains(e.Error.Message, "@example.com") || strings.Contains(e.Error.Message, "Zoë") {
						t.Fatalf("the refusal quotes a cell: %s", e.Error.Message)
					}
					var st struct{ Status string }
					if env.Do(t, "GET", "/api/v1/uploads/"+up.ImportID, up.UploadToken, nil, &st); st.Status != "uploading" {
						t.Fatalf("import is %s after the refusal, want uploading", st.Status)
					}
				})
			}
		})
	}
}
