package store

import (
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/intakehq/intake/internal/importlog"
)

// TestShredScoping: a purge on demand touches only its organization (and
// importer, or import); Shred destroys keys and receipts each import once,
// chaining its receipts; DeletePurgedData removes chunk rows of purged
// imports only.
func TestShredScoping(t *testing.T) {
	t.Parallel()
	for name, s := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			newImport := func(orgID, importerID string) string {
				im := Import{ID: NewID("imt_"), OrgID: orgID, ImporterID: importerID, Status: StatusUploading, Columns: []string{"a"},
					SourceFormat: "csv", ExpectedRows: 1, TokenHash: []byte("t"), TokenExpiresAt: s.now(), CreatedAt: s.now(),
					WrappedKey: []byte("wrapped-" + orgID), SealedContext: []byte("sealed")}
				if err := s.CreateImport(ctx, im, importlog.Created{ImporterID: importerID}); err != nil {
					t.Fatal(err)
				}
				w, err := s.BeginChunk(ctx, im.ID)
				if err != nil {
					t.Fatal(err)
				}
				defer w.Rollback()
				if err := w.Put(Chunk{N: 0, Rows: 1, ErrorColumns: map[string]int{}, BodyHash: []byte("h"), BlobKey: "k", SealedBytes: 40}); err != nil {
					t.Fatal(err)
				}
				if err := w.Commit(); err != nil {
					t.Fatal(err)
				}
				return im.ID
			}
			tag := fmt.Sprint(time.Now().UnixNano())
			a, _ := s.CreateOrgWithOwner(ctx, "shred-a-"+tag, "sa"+tag+"@example.com", "h", "ik_sa", []byte("sa"+tag))
			b, _ := s.CreateOrgWithOwner(ctx, "shred-b-"+tag, "sb"+tag+"@example.com", "h", "ik_sb", []byte("sb"+tag))
			ia1, _ := s.CreateImporter(ctx, a.ID, Importer{Name: "1", Template: []byte(`{}`), Mode: ModeStored, RetentionDays: 30})
			ia2, _ := s.CreateImporter(ctx, a.ID, Importer{Name: "2", Template: []byte(`{}`), Mode: ModeStored, RetentionDays: 30})
			ib, _ := s.CreateImporter(ctx, b.ID, Importer{Name: "b", Template: []byte(`{}`), Mode: ModeStored, RetentionDays: 30})
			a1, a1b, a2, b1 := newImport(a.ID, ia1.ID), newImport(a.ID, ia1.ID), newImport(a.ID, ia2.ID), newImport(b.ID, ib.ID)

			var chained [][]byte
			receipt := func(im Shredded, prev []byte) (importlog.Purged, []byte, error) {
				chained = append(chained, prev)
				h := sha256.Sum256([]byte(im.ID))
				return importlog.Purged{Reason: importlog.ReasonRequested, Chunks: im.Chunks, BytesDestroyed: im.Bytes}, h[:], nil
			}
			shred := func(sel ShredSelection) []string {
				t.Helper()
				sel.Limit, sel.At = 10, s.now()
				out, err := s.Shred(ctx, sel, receipt)
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, im := range out {
					if im.Chunks != 1 || im.Bytes != 40 || len(im.WrappedKey) == 0 {
						t.Fatalf("shredded %+v", im)
					}
					ids = append(ids, im.ID)
				}
				slices.Sort(ids)
				return ids
			}
			if got := shred(ShredSelection{OrgID: b.ID, ImportID: a1}); len(got) != 0 {
				t.Fatalf("org b shredded org a's import: %v", got)
			}
			if got := shred(ShredSelection{OrgID: a.ID, ImporterID: ia2.ID}); !slices.Equal(got, []string{a2}) {
				t.Fatalf("importer scope: %v", got)
			}
			want := []string{a1, a1b}
			slices.Sort(want)
			if got := shred(ShredSelection{OrgID: a.ID}); !slices.Equal(got, want) {
				t.Fatalf("org scope: %v, want %v", got, want)
			}
			if got := shred(ShredSelection{OrgID: a.ID}); len(got) != 0 {
				t.Fatalf("shredded twice: %v", got)
			}
			if chained[0] != nil || len(chained) != 3 || chained[1] == nil {
				t.Fatalf("chain heads passed to receipts: %x", chained)
			}
			head, n, err := s.ReceiptChain(ctx, a.ID)
			if err != nil || n != 3 || len(head) != sha256.Size {
				t.Fatalf("chain of a: %x %d %v", head, n, err)
			}
			if err := s.DeletePurgedData(ctx, []string{a1, b1}); err != nil {
				t.Fatal(err)
			}
			if n, _ := s.ChunkNumbers(ctx, a1); len(n) != 0 {
				t.Fatalf("chunks of purged import left: %v", n)
			}
			if n, _ := s.ChunkNumbers(ctx, b1); len(n) != 1 {
				t.Fatal("chunks of a live import deleted")
			}
			pending, err := s.PendingPurges(ctx, a.ID, 10)
			if err != nil || len(pending) != 2 {
				t.Fatalf("pending after finishing one of three: %v %v", pending, err)
			}
			im, _ := s.Import(ctx, a.ID, a1)
			if im.Status != StatusPurged || im.WrappedKey != nil || im.SealedContext != nil || im.ChunksReceived != 1 {
				t.Fatalf("purged import %+v", im)
			}
		})
	}
}
