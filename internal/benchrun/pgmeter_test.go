package benchrun

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/intakehq/intake/internal/store/storetest"
)

// burn runs a query that keeps the connection's backend busy, and returns
// the CPU seconds its backend spent on it (from /proc) after waiting for
// the meter to sample it.
func burn(t *testing.T, conn *pgx.Conn) float64 {
	t.Helper()
	ctx := context.Background()
	var pid int
	if err := conn.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	cpu0 := ProcessCPU(pid)
	if _, err := conn.Exec(ctx, `SELECT count(*) FROM generate_series(1, 2000000)`); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * PGSample)
	return ProcessCPU(pid) - cpu0
}

// openMeter opens a meter on the test PostgreSQL, closed at the test's end,
// and returns it with the server's URL; it skips without PostgreSQL.
func openMeter(t *testing.T) (*PGMeter, string) {
	t.Helper()
	url := storetest.PostgresURL(t)
	if url == "" {
		t.Skip("no PostgreSQL")
	}
	m, err := NewPGMeter(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m, url
}

// The meter counts the work of the tagged backends, those open before
// Start and those opened after it, also once they have exited, and not
// the work of another session's backend.
func TestPGMeterCountsTheTaggedBackends(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m, url := openMeter(t)
	connect := func(url string) *pgx.Conn {
		c, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	before := connect(m.Tag(url))
	defer before.Close(ctx)
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	want := burn(t, before)
	if want == 0 {
		t.Skip("no /proc, or PostgreSQL is not on this machine")
	}
	after := connect(m.Tag(url))
	want += burn(t, after)
	after.Close(ctx)
	time.Sleep(3 * PGSample) // its backend gone
	other := connect(url)
	defer other.Close(ctx)
	untagged := burn(t, other)
	got, err := m.Since(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("meter %.2f s; tagged backends %.2f s, another session's %.2f s", got, want, untagged)
	// /proc counts in ticks of 10 ms; PostgreSQL's own processes add a little.
	if got < want-0.03 || got > want+untagged/2 {
		t.Errorf("meter %.2f s, want the tagged backends' %.2f s (another session's %.2f s left out)", got, want, untagged)
	}
}

// Since stops the sampling without breaking the meter's connection, even
// when it lands on a sample in flight (window after window, as the rounds
// of a sitting use it).
func TestPGMeterWindowAfterWindow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m, _ := openMeter(t)
	for i := range 40 {
		if err := m.Start(ctx); err != nil {
			t.Fatalf("window %d: %v", i, err)
		}
		// Around the first sample's tick.
		time.Sleep(PGSample + time.Duration(i%8-4)*100*time.Microsecond)
		if _, err := m.Since(ctx); err != nil {
			t.Fatalf("window %d: %v", i, err)
		}
	}
}
