package store

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestBacklogReadsPendingOnly: beside 100,000 delivered deliveries, the
// backlog counts the pending ones (and of them those that failed before),
// gives the oldest pending one's creation, and its query plan reads the
// partial index of the pending rows, never the deliveries table: a
// /metrics scrape costs the backlog's size, not the table's.
func TestBacklogReadsPendingOnly(t *testing.T) {
	t.Parallel()
	for name, s := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			im := uploadingImport(t, s, "backlog-"+name, []string{"a"}, 1)
			d, err := s.CreateDestination(ctx, Destination{ID: NewID("dst_"), OrgID: im.OrgID, ImporterID: im.ImporterID, Kind: KindWebhook, BatchSize: 10, Parallel: 1})
			if err != nil {
				t.Fatal(err)
			}
			const delivered = 100_000
			if _, err := s.write.ExecContext(ctx, `INSERT INTO deliveries (`+deliveryColumns+`)
				WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
				SELECT 'dlv_old_' || i, $2, $3, $4, 10, 1, $5, 0, i % 3, NULL, i, i FROM n`,
				delivered, im.OrgID, im.ID, d.ID, DeliveryDelivered); err != nil {
				t.Fatal(err)
			}
			oldest := time.UnixMicro(time.Now().UnixMicro())
			for i, dl := range []struct {
				state    string
				failures int
			}{{DeliveryPending, 0}, {DeliveryPending, 2}, {DeliveryPending, 1}, {DeliveryFailed, 5}, {DeliveryDisabled, 1}} {
				at := oldest.Add(time.Duration(i) * time.Second)
				if _, err := s.write.ExecContext(ctx, `INSERT INTO deliveries (`+deliveryColumns+`)
					VALUES ($1, $2, $3, $4, 10, 1, $5, 0, $6, NULL, $7, $7)`,
					NewID("dlv_"), im.OrgID, im.ID, d.ID, dl.state, dl.failures, at.UnixMicro()); err != nil {
					t.Fatal(err)
				}
			}
			b, err := s.Backlog(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if b.DeliveriesPending != 3 || b.DeliveriesRetrying != 2 || !b.OldestPending.Equal(oldest) {
				t.Errorf("backlog %d pending, %d retrying, oldest %v; want 3, 2, %v", b.DeliveriesPending, b.DeliveriesRetrying, b.OldestPending, oldest)
			}

			plan := backlogPlan(t, s)
			t.Logf("plan beside %d delivered rows: %s", delivered, plan)
			if !strings.Contains(plan, "deliveries_pending") || strings.Contains(plan, "Seq Scan") ||
				(strings.Contains(plan, "SCAN deliveries") && !strings.Contains(plan, "INDEX deliveries_pending")) {
				t.Errorf("the backlog query does not read the index of pending deliveries alone:\n%s", plan)
			}
		})
	}
}

// backlogPlan is the plan of the pending-deliveries query, one line per
// step, with fresh statistics on PostgreSQL.
func backlogPlan(t *testing.T, s *Store) string {
	t.Helper()
	ctx := context.Background()
	q := "EXPLAIN QUERY PLAN " + pendingBacklog
	if s.postgres {
		if _, err := s.write.ExecContext(ctx, "ANALYZE deliveries"); err != nil {
			t.Fatal(err)
		}
		q = "EXPLAIN " + pendingBacklog
	}
	rows, err := s.read.QueryContext(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var lines []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, strings.TrimSpace(asText(vals[len(vals)-1])))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, " | ")
}

// asText is a scanned column as text.
func asText(v any) string {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	s, _ := v.(string)
	return s
}
