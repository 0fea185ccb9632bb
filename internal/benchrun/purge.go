package benchrun

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"

	"github.com/intakehq/intake/internal/benchrun/rawlimit"
	"github.com/intakehq/intake/internal/server/servertest"
)

// purgeImports is how many imports the purge step seeds for a run of rows:
// one per 1,000 rows, 20 to 500.
func purgeImports(rows int) int { return min(500, max(20, rows/1000)) }

// purge uploads small imports (the first 100 rows each, typed template) to
// a fresh importer and purges them all at once through the API (DELETE
// /api/v1/data?importer=…, the button of the dashboard): keys shredded,
// receipts chained, blobs and chunk rows deleted; beside a bare SQLite
// delete of the same rows on a copy of the database.
func (r *run) purge(env *servertest.Env) {
	k := purgeImports(r.rows)
	small, _, err := rawlimit.GzipChunks(iterate(r.records[:100]), 100)
	if err != nil {
		r.tb.Fatal(err)
	}
	imp := newImporter(r.tb, env, "purge", servertest.TypedTemplate)
	ids := make([]string, k)
	for i := range ids {
		if ids[i], err = upload(to(env), imp.Key, r.header, small[:1], 100); err != nil {
			r.tb.Fatal(err)
		}
	}
	raw, err := rawlimit.SQLiteDelete(context.Background(), filepath.Join(env.DataDir, "intake.db"), r.tb.TempDir(), ids)
	if err != nil {
		r.tb.Fatal(err)
	}
	var res struct {
		Imports int `json:"imports"`
	}
	cost, err := rawlimit.Measure(func() error {
		code := env.Do(r.tb, "DELETE", "/api/v1/data?importer="+imp.ID, env.APIKey, nil, &res)
		if code != http.StatusOK && code != http.StatusAccepted {
			return fmt.Errorf("purge: status %d", code)
		}
		return nil
	})
	if err != nil {
		r.tb.Fatal(err)
	}
	if res.Imports != k {
		r.tb.Fatalf("purged %d imports, want %d", res.Imports, k)
	}
	r.add(Figure{Step: "purge (API, one importer's imports)", Unit: "imports", N: float64(k), Cost: cost,
		Limit: "bare SQLite delete", Raw: raw, Note: fmt.Sprintf("%d imports of one 100-row chunk", k)})
}
