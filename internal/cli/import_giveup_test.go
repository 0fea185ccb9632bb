package cli

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake/internal/fileimport"
	"github.com/intakehq/intake/internal/server/servertest"
)

// TestImportJobGivesUp: when the server's job gives up on a file import
// (every run failed), `intake import` says so and exits 1, rather than
// waiting for an import that stays running.
func TestImportJobGivesUp(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{}) // no workers: the test runs the job
	var im struct{ ID, Key string }
	if code := env.Do(t, "POST", "/api/v1/importers", env.APIKey, map[string]any{"name": "cli",
		"template": json.RawMessage(`{"columns":[{"key":"id","label":"ID","type":"text"}]}`)}, &im); code != http.StatusCreated {
		t.Fatalf("create importer: %d", code)
	}
	path := writeCSV(t, t.TempDir(), "f.csv", 10, -1)
	type result struct {
		code        int
		out, errOut string
	}
	res := make(chan result, 1)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	go func() {
		var r result
		var out, errb strings.Builder
		r.code = Run(ctx, []string{"import", path, "--importer", im.Key, "--server", env.URL, "--api-key", env.APIKey},
			strings.NewReader(""), &out, &errb)
		r.out, r.errOut = out.String(), errb.String()
		res <- r
	}()
	db := env.Server.Store.WriteDB()
	var id string
	for {
		err := db.QueryRowContext(ctx, `SELECT import_id FROM file_imports`).Scan(&id)
		if err == nil {
			break
		}
		if !errors.Is(err, sql.ErrNoRows) {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The spec no longer opens: every run fails.
	if _, err := db.ExecContext(ctx, `UPDATE file_imports SET sealed_spec = $1`, []byte("not sealed")); err != nil {
		t.Fatal(err)
	}
	for range (fileimport.Job{}).InsertOptions().MaxAttempts {
		if done, _ := env.Server.Files.Run(ctx, id); done {
			break
		}
	}
	r := <-res
	if r.code != exitFailure || !strings.Contains(r.errOut, fileimport.CodeJobFailed) {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.out, r.errOut)
	}
}
