package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/intakehq/intake/internal/importlog"
	"github.com/intakehq/intake/internal/store/storetest"
)

// backends opens a fresh store on SQLite and, when INTAKE_TEST_DATABASE_URL
// is set, on PostgreSQL in a schema of its own.
func backends(t *testing.T) map[string]*Store {
	t.Helper()
	ctx := context.Background()
	out := map[string]*Store{}
	sq, err := Open(ctx, Options{SQLitePath: filepath.Join(t.TempDir(), "intake.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sq.Close() })
	out["sqlite"] = sq
	if url := storetest.PostgresURL(t); url != "" {
		pg, err := Open(ctx, Options{PostgresURL: url})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { pg.Close() })
		out["postgres"] = pg
	}
	return out
}

// twoOrgs creates the organizations org-a and org-b, each with an owner and
// an API key, for the tests of what one may see of the other.
func twoOrgs(t *testing.T, s *Store) (a, b Organization) {
	t.Helper()
	ctx := context.Background()
	a, err := s.CreateOrgWithOwner(ctx, "org-a", "a@example.com", "hash", "ik_aaaaaaa", []byte("key-a"))
	if err != nil {
		t.Fatal(err)
	}
	b, err = s.CreateOrgWithOwner(ctx, "org-b", "b@example.com", "hash", "ik_bbbbbbb", []byte("key-b"))
	if err != nil {
		t.Fatal(err)
	}
	return a, b
}

func TestOrgScoping(t *testing.T) {
	t.Parallel()
	for name, s := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			a, b := twoOrgs(t, s)
			if _, err := s.CreateOrgWithOwner(ctx, "org-a", "c@example.com", "hash", "ik_c", []byte("key-c")); !errors.Is(err, ErrConflict) {
				t.Fatalf("duplicate org name: %v, want ErrConflict", err)
			}
			got, err := s.OrgByAPIKeyHash(ctx, []byte("key-b"))
			if err != nil || got.ID != b.ID {
				t.Fatalf("api key of b resolves to %v, %v", got, err)
			}
			im, err := s.CreateImporter(ctx, a.ID, Importer{Name: "n", Template: []byte(`{}`), Mode: ModeStored, RetentionDays: 30})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Importer(ctx, b.ID, im.ID); !errors.Is(err, ErrNotFound) {
				t.Fatalf("org b read org a's importer: %v", err)
			}
			if _, err := s.UpdateImporter(ctx, b.ID, im); !errors.Is(err, ErrNotFound) {
				t.Fatalf("org b updated org a's importer: %v", err)
			}
			if err := s.DeleteImporter(ctx, b.ID, im.ID); !errors.Is(err, ErrNotFound) {
				t.Fatalf("org b deleted org a's importer: %v", err)
			}
			list, _ := s.Importers(ctx, b.ID)
			if len(list) != 0 {
				t.Fatalf("org b lists %d importers", len(list))
			}
			byKey, err := s.ImporterByKey(ctx, im.Key)
			if err != nil || byKey.ID != im.ID || byKey.OrgID != a.ID {
				t.Fatalf("by key: %+v %v", byKey, err)
			}
			if err := s.DeleteImporter(ctx, a.ID, im.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := s.ImporterByKey(ctx, im.Key); !errors.Is(err, ErrNotFound) {
				t.Fatalf("deleted importer's key still works: %v", err)
			}
		})
	}
}

func TestChunkLifecycle(t *testing.T) {
	t.Parallel()
	for name, s := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			org, _ := s.CreateOrgWithOwner(ctx, "org-"+name, name+"@example.com", "h", "ik_x", []byte("k-"+name))
			ipr, _ := s.CreateImporter(ctx, org.ID, Importer{Name: "n", Template: []byte(`{}`), Mode: ModeStored, RetentionDays: 30})
			im := Import{ID: NewID("imt_"), OrgID: org.ID, ImporterID: ipr.ID, Status: StatusUploading, Columns: []string{"a"},
				SourceFormat: "csv", ExpectedRows: 3, TokenHash: []byte("t"), TokenExpiresAt: s.now(), CreatedAt: s.now()}
			if err := s.CreateImport(ctx, im, importlog.Created{ImporterID: ipr.ID}); err != nil {
				t.Fatal(err)
			}
			put := func(n int, first int64, rows int, hash string) error {
				w, err := s.BeginChunk(ctx, im.ID)
				if err != nil {
					return err
				}
				defer w.Rollback()
				if err := w.Put(Chunk{N: n, FirstRow: first, Rows: rows, ErrorColumns: map[string]int{}, BodyHash: []byte(hash), BlobKey: fmt.Sprint(n)}); err != nil {
					return err
				}
				return w.Commit()
			}
			if err := put(1, 2, 1, "h1"); err != nil {
				t.Fatal(err)
			}
			if err := put(1, 2, 1, "h1"); err != nil {
				t.Fatalf("same chunk again: %v", err)
			}
			if err := put(1, 2, 1, "other"); !errors.Is(err, ErrChunkMismatch) {
				t.Fatalf("other body for chunk 1: %v", err)
			}
			if _, err := s.CompleteImport(ctx, im.ID, 2, 3, 0, 30, nil); !errors.Is(err, ErrChunksMissing) {
				t.Fatalf("complete with chunk 0 missing: %v", err)
			}
			if err := put(0, 0, 2, "h0"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.CompleteImport(ctx, im.ID, 2, 4, 0, 30, nil); !errors.Is(err, ErrRowMismatch) {
				t.Fatalf("complete with wrong rows: %v", err)
			}
			c, err := s.CompleteImport(ctx, im.ID, 2, 3, 0, 30, nil)
			if err != nil || c.Rows != 3 || c.Chunks != 2 {
				t.Fatalf("complete: %+v %v", c, err)
			}
			if err := put(2, 3, 1, "h2"); !errors.Is(err, ErrNotUploading) {
				t.Fatalf("chunk after completion: %v", err)
			}
			ns, _ := s.ChunkNumbers(ctx, im.ID)
			if fmt.Sprint(ns) != "[0 1]" {
				t.Fatalf("chunk numbers %v", ns)
			}
			log, _ := s.ImportLog(ctx, org.ID, im.ID, 0, 0)
			var kinds []string
			for _, e := range log {
				kinds = append(kinds, string(e.Kind))
			}
			if fmt.Sprint(kinds) != "[import.created chunk.stored chunk.stored import.completed]" {
				t.Fatalf("import log kinds %v", kinds)
			}
			if other, _ := s.ImportLog(ctx, "org_other", im.ID, 0, 0); len(other) != 0 {
				t.Fatal("import log readable by another organization")
			}
		})
	}
}

// uploadingImport creates an organization, an importer and an import of
// cols in the uploading state that announces expected rows: where the
// chunk and claim tests start. name keeps each test's organization apart.
func uploadingImport(t *testing.T, s *Store, name string, cols []string, expected int64) Import {
	t.Helper()
	ctx := context.Background()
	org, err := s.CreateOrgWithOwner(ctx, "org-"+name, name+"@example.com", "h", "ik_"+name, []byte("k-"+name))
	if err != nil {
		t.Fatal(err)
	}
	ipr, err := s.CreateImporter(ctx, org.ID, Importer{Name: "n", Template: []byte(`{}`), Mode: ModeStored, RetentionDays: 30})
	if err != nil {
		t.Fatal(err)
	}
	im := Import{ID: NewID("imt_"), OrgID: org.ID, ImporterID: ipr.ID, Status: StatusUploading, Columns: cols, RowColumns: cols,
		SourceFormat: "csv", ExpectedRows: expected, TokenHash: []byte("t"), TokenExpiresAt: s.now(), CreatedAt: s.now()}
	if err := s.CreateImport(ctx, im, importlog.Created{ImporterID: ipr.ID}); err != nil {
		t.Fatal(err)
	}
	return im
}
