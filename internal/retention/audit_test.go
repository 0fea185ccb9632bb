package retention_test

import (
	"context"
	"strings"
	"testing"

	"github.com/intakehq/intake/internal/retention"
)

// TestVerifyDetectsTampering purges four imports, then removes or edits a
// receipt (or the chain head) in the database and checks that Verify names
// the break.
func TestVerifyDetectsTampering(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		tamper func(t *testing.T, b *bundle, seqs []int64, ids []string)
		want   string
	}{
		{"untouched", func(*testing.T, *bundle, []int64, []string) {}, ""},
		{"middle receipt removed", func(t *testing.T, b *bundle, seqs []int64, _ []string) {
			b.exec(t, `DELETE FROM import_events WHERE seq = $1`, seqs[1])
		}, "does not chain"},
		{"last receipt removed", func(t *testing.T, b *bundle, seqs []int64, _ []string) {
			b.exec(t, `DELETE FROM import_events WHERE seq = $1`, seqs[3])
		}, "chain head"},
		{"receipt edited", func(t *testing.T, b *bundle, seqs []int64, _ []string) {
			b.exec(t, `UPDATE import_events SET data = REPLACE(data, '"chunks":1', '"chunks":0') WHERE seq = $1`, seqs[2])
		}, "does not chain"},
		{"receipt moved to another import", func(t *testing.T, b *bundle, seqs []int64, ids []string) {
			b.exec(t, `UPDATE import_events SET import_id = $1 WHERE seq = $2`, ids[1], seqs[0])
		}, "does not chain"},
		{"receipt re-serialised", func(t *testing.T, b *bundle, seqs []int64, _ []string) {
			b.exec(t, `UPDATE import_events SET data = REPLACE(data, '{"reason"', '{ "reason"') WHERE seq = $1`, seqs[0])
		}, "canonical"},
		{"last receipt and head rewritten", func(t *testing.T, b *bundle, seqs []int64, ids []string) {
			b.exec(t, `DELETE FROM import_events WHERE seq = $1`, seqs[3])
			b.exec(t, `UPDATE receipt_chains SET receipts = receipts - 1`)
		}, "has no receipt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, false, retention.Options{})
			ctx := context.Background()
			var ids []string
			for range 4 {
				id, _ := b.upload(t, b.Importer, 1, 1, true)
				if _, err := b.Svc.PurgeImport(ctx, b.OrgID, id); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, id)
			}
			receipts, err := b.Store.Receipts(ctx, b.OrgID)
			if err != nil || len(receipts) != 4 {
				t.Fatalf("%d receipts, %v", len(receipts), err)
			}
			seqs := make([]int64, len(receipts))
			for i, r := range receipts {
				seqs[i] = r.Seq
			}
			tc.tamper(t, b, seqs, ids)
			a, err := retention.Verify(ctx, b.Store, b.OrgID)
			if err != nil {
				t.Fatal(err)
			}
			var problems []string
			for _, p := range a.Problems {
				problems = append(problems, p.Problem)
			}
			got := strings.Join(problems, "; ")
			if tc.want == "" {
				if !a.OK || got != "" {
					t.Fatalf("untouched chain fails: %s", got)
				}
				return
			}
			if a.OK || !strings.Contains(got, tc.want) {
				t.Fatalf("problems %q, want one mentioning %q", got, tc.want)
			}
		})
	}
}
