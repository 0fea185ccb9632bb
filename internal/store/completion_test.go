package store

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/intakehq/intake/internal/importlog"
)

// TestCompleteChecksRowRanges (issue 15 B): completion takes chunks whose
// rows as sent (stored plus blank rows dropped) cover rows 0 to rows-1
// exactly once, in any chunk order, and refuses overlapping or gapped
// ranges whose counts add up, on SQLite and PostgreSQL.
func TestCompleteChecksRowRanges(t *testing.T) {
	t.Parallel()
	type chunk struct {
		n           int
		first       int64
		rows, blank int
	}
	cases := []struct {
		name   string
		sent   int64
		chunks []chunk
		want   *RowRangeError // nil: completes
	}{
		{"contiguous, sent out of order", 10, []chunk{{1, 5, 5, 0}, {0, 0, 5, 0}}, nil},
		{"blank rows dropped count as sent", 10, []chunk{{0, 0, 3, 2}, {1, 5, 4, 1}}, nil},
		{"a chunk of no rows", 5, []chunk{{0, 0, 5, 0}, {1, 5, 0, 0}}, nil},
		{"two chunks from row 0", 10, []chunk{{0, 0, 5, 0}, {1, 0, 5, 0}}, &RowRangeError{Chunk: 1, FirstRow: 0, Want: 5}},
		{"overlap by one", 10, []chunk{{0, 0, 5, 0}, {1, 4, 5, 0}}, &RowRangeError{Chunk: 1, FirstRow: 4, Want: 5}},
		{"overlap of blank rows", 10, []chunk{{0, 0, 3, 3}, {1, 5, 4, 0}}, &RowRangeError{Chunk: 1, FirstRow: 5, Want: 6}},
		{"a gap", 10, []chunk{{0, 0, 4, 0}, {1, 5, 6, 0}}, &RowRangeError{Chunk: 1, FirstRow: 5, Want: 4}},
		{"not from row 0", 5, []chunk{{0, 1, 5, 0}}, &RowRangeError{Chunk: 0, FirstRow: 1, Want: 0}},
	}
	for name, s := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			org, err := s.CreateOrgWithOwner(ctx, "org-ranges-"+name, "ranges-"+name+"@example.com", "h", "ik_r", []byte("k-ranges-"+name))
			if err != nil {
				t.Fatal(err)
			}
			ipr, err := s.CreateImporter(ctx, org.ID, Importer{Name: "n", Template: []byte(`{}`), Mode: ModeStored, RetentionDays: 30})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					im := Import{ID: NewID("imt_"), OrgID: org.ID, ImporterID: ipr.ID, Status: StatusUploading, Columns: []string{"a"},
						SourceFormat: "csv", ExpectedRows: c.sent, TokenHash: []byte("t"), TokenExpiresAt: s.now(), CreatedAt: s.now()}
					if err := s.CreateImport(ctx, im, importlog.Created{ImporterID: ipr.ID}); err != nil {
						t.Fatal(err)
					}
					for _, ch := range c.chunks {
						w, err := s.BeginChunk(ctx, im.ID)
						if err != nil {
							t.Fatal(err)
						}
						err = w.Put(Chunk{N: ch.n, FirstRow: ch.first, Rows: ch.rows, RowsSkipped: ch.blank, ErrorColumns: map[string]int{},
							BodyHash: []byte(fmt.Sprint(ch)), BlobKey: fmt.Sprint(ch.n)})
						if err == nil {
							err = w.Commit()
						}
						w.Rollback()
						if err != nil {
							t.Fatal(err)
						}
					}
					_, err := s.CompleteImport(ctx, im.ID, len(c.chunks), c.sent, 0, 30, nil)
					var re *RowRangeError
					switch {
					case c.want == nil && err != nil:
						t.Fatalf("complete: %v", err)
					case c.want != nil && (!errors.As(err, &re) || !errors.Is(err, ErrRowRanges) || *re != *c.want):
						t.Fatalf("complete: %v, want %v", err, c.want)
					}
					got, err := s.ImportByID(ctx, im.ID)
					if err != nil {
						t.Fatal(err)
					}
					if want := map[bool]string{true: StatusUploading, false: StatusCompleted}[c.want != nil]; got.Status != want {
						t.Fatalf("status %s, want %s", got.Status, want)
					}
				})
			}
		})
	}
}
