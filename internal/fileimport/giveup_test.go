package fileimport_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/intakehq/intake/internal/fileimport"
	"github.com/intakehq/intake/internal/server/servertest"
)

// TestJobGivesUp: a file import whose job fails at every run (here its
// sealed spec no longer opens, as with a master key that changed), or
// whose runs are cut by crashes, ends failed, with a code and no cell,
// within the runs the queue gives its job: after the last of them the
// queue runs it no more, so an import still running then would run for
// ever.
func TestJobGivesUp(t *testing.T) {
	t.Parallel()
	for _, pg := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) {
			t.Parallel()
			env := servertest.Start(t, servertest.Options{Postgres: pg})
			s := env.Server
			ctx := context.Background()
			imp := newImporter(t, env, nil)
			importer, err := s.Store.Importer(ctx, env.OrgID, imp.ID)
			if err != nil {
				t.Fatal(err)
			}
			sub, err := s.Files.Submit(ctx, importer, "people.csv", strings.NewReader(csvRows(10, map[int]bool{3: true})), fileimport.Options{}, "")
			if err != nil {
				t.Fatal(err)
			}
			breakSpec(t, env, sub.ImportID)
			attempts := fileimport.Job{}.InsertOptions().MaxAttempts
			failed := 0
			for i := range attempts {
				if i%3 == 2 { // a run that began and never returned: the process died
					if _, err := s.Store.BeginFileImportRun(ctx, sub.ImportID); err != nil {
						t.Fatal(err)
					}
					continue
				}
				done, err := s.Files.Run(ctx, sub.ImportID)
				if err != nil {
					failed++
					if strings.Contains(err.Error(), canary) {
						t.Fatal("the job's error holds a cell value")
					}
				}
				if done {
					break
				}
			}
			var st fileState
			if code := env.Do(t, "GET", "/api/v1/imports/"+sub.ImportID, env.APIKey, nil, &st); code != http.StatusOK {
				t.Fatalf("get import: %d", code)
			}
			if failed == 0 || st.File == nil || st.File.State != "failed" || st.File.FailureCode != fileimport.CodeJobFailed {
				t.Fatalf("after %d failed runs of %d: %+v %+v", failed, attempts, st, st.File)
			}
			if strings.Contains(st.File.FailureMessage, canary) || strings.Contains(env.Logs.String(), canary) {
				t.Fatal("a cell value was reported or logged")
			}
			// A run after the end does nothing and says it is done.
			if done, err := s.Files.Run(ctx, sub.ImportID); !done || err != nil {
				t.Fatalf("a run after the end: %v, %v", done, err)
			}
		})
	}
}

// breakSpec makes a file import's sealed spec unreadable, so that every run
// of its job fails.
func breakSpec(t testing.TB, env *servertest.Env, importID string) {
	t.Helper()
	if _, err := env.Server.Store.WriteDB().ExecContext(context.Background(),
		`UPDATE file_imports SET sealed_spec = $1 WHERE import_id = $2`, []byte("not sealed"), importID); err != nil {
		t.Fatal(err)
	}
}
