package store

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/intakehq/intake/internal/importlog"
)

// TestRewrapKeys, on SQLite and PostgreSQL: every live import's wrapped
// key (more than one batch of them) and every destination's sealed
// settings go through the callbacks and are stored as they return; a
// purged import's missing key is not visited; nil leaves a value as it is;
// and a key shredded between the read and the write stays shredded.
func TestRewrapKeys(t *testing.T) {
	t.Parallel()
	for name, s := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			org, err := s.CreateOrgWithOwner(ctx, "rewrap-"+name, "rw-"+name+"@example.com", "h", "ik_rw", []byte("rw-"+name))
			if err != nil {
				t.Fatal(err)
			}
			ipr, err := s.CreateImporter(ctx, org.ID, Importer{Name: "n", Template: []byte(`{}`), Mode: ModeStored, RetentionDays: 30})
			if err != nil {
				t.Fatal(err)
			}
			const n = 1203 // three batches
			ids := make([]string, n)
			for i := range ids {
				ids[i] = NewID("imt_")
				im := Import{ID: ids[i], OrgID: org.ID, ImporterID: ipr.ID, Status: StatusUploading, Columns: []string{"a"},
					SourceFormat: "csv", ExpectedRows: 1, TokenHash: []byte("t"), TokenExpiresAt: s.now(), CreatedAt: s.now(),
					WrappedKey: []byte("old-" + ids[i])}
				if err := s.CreateImport(ctx, im, importlog.Created{ImporterID: ipr.ID}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.WriteDB().ExecContext(ctx, `UPDATE imports SET wrapped_key = NULL WHERE id = $1`, ids[0]); err != nil {
				t.Fatal(err)
			}
			dest := NewID("dst_")
			if _, err := s.CreateDestination(ctx, Destination{ID: dest, OrgID: org.ID, ImporterID: ipr.ID, Kind: "webhook",
				BatchSize: 1, Parallel: 1, SealedSettings: []byte("old-settings")}); err != nil {
				t.Fatal(err)
			}
			seen := map[string]int{}
			shredded, unchanged := ids[1], ids[2]
			counts, err := s.RewrapKeys(ctx, func(ctx context.Context, id string, wrapped []byte) ([]byte, error) {
				seen[id]++
				if !bytes.Equal(wrapped, []byte("old-"+id)) {
					return nil, fmt.Errorf("import %s: read %q", id, wrapped)
				}
				switch id {
				case unchanged:
					return nil, nil
				case shredded: // the purge, between the read and the write
					if _, err := s.WriteDB().ExecContext(ctx, `UPDATE imports SET wrapped_key = NULL WHERE id = $1`, id); err != nil {
						return nil, err
					}
				}
				return []byte("new-" + id), nil
			}, func(ctx context.Context, id string, sealed []byte) ([]byte, error) {
				seen[id]++
				return append([]byte("new-"), sealed...), nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if want := (RewrapCounts{Imports: n - 3, Destinations: 1, Unchanged: 1}); counts != want {
				t.Errorf("counts %+v, want %+v", counts, want)
			}
			if seen[ids[0]] != 0 || len(seen) != n {
				t.Errorf("visited %d values (the purged import %d times), want %d", len(seen), seen[ids[0]], n)
			}
			for i, id := range ids {
				im, err := s.ImportByID(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				want := []byte("new-" + id)
				switch i {
				case 0, 1:
					want = nil
				case 2:
					want = []byte("old-" + id)
				}
				if !bytes.Equal(im.WrappedKey, want) {
					t.Fatalf("import %d holds %q, want %q", i, im.WrappedKey, want)
				}
			}
			d, err := s.DestinationByID(ctx, dest)
			if err != nil || string(d.SealedSettings) != "new-old-settings" {
				t.Errorf("destination settings %q, %v", d.SealedSettings, err)
			}
		})
	}
}
