package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/intakehq/intake/internal/server/servertest"
	"github.com/intakehq/intake/internal/store"
)

// TestSinkDestinations delivers one stored import to an S3 bucket of the
// in-process S3-compatible server (as JSON Lines) and, when the test
// PostgreSQL is configured, into a PostgreSQL table by upsert.
func TestSinkDestinations(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{S3: true, Configure: servertest.AllowLoopback})
	env.StartJobs(t)
	blobURL, err := url.Parse(env.Server.Config.BlobURL)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.S3.CreateBucket("exports"); err != nil {
		t.Fatal(err)
	}
	imp := createImporter(t, env, env.APIKey, nil)
	s3d := createDestination(t, env, imp.ID, map[string]any{"type": "s3", "bucket": "exports", "format": "jsonl",
		"endpoint": blobURL.Query().Get("endpoint"), "access_key_id": "intake-test", "secret_access_key": "intake-test",
		"key_template": "intake/{import_id}.{ext}"})
	wantDeliveries := 1
	pgURL := os.Getenv("INTAKE_TEST_DATABASE_URL")
	table := "dest_" + strings.ToLower(store.RandomToken(6))
	if pgURL != "" {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, pgURL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "CREATE TABLE "+table+" (name text NOT NULL, email text PRIMARY KEY, amount numeric)"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			c, err := pgx.Connect(context.Background(), pgURL)
			if err == nil {
				c.Exec(context.Background(), "DROP TABLE "+table)
				c.Close(context.Background())
			}
		})
		createDestination(t, env, imp.ID, map[string]any{"type": "postgres", "url": pgURL, "table": table, "key": []string{"email"}})
		wantDeliveries++
	} else {
		t.Log("INTAKE_TEST_DATABASE_URL not set: PostgreSQL destination skipped")
	}

	rows := makeRows(25, "sink")
	up := uploadRows(t, env, imp, rows, 10)
	log := waitDelivered(t, env, up.ImportID)
	if len(log.Deliveries) != wantDeliveries {
		t.Fatalf("%d deliveries, want %d", len(log.Deliveries), wantDeliveries)
	}
	for _, d := range log.Deliveries {
		if d.State != "delivered" {
			t.Fatalf("delivery to %s: %+v", d.DestinationID, d)
		}
	}

	obj, err := env.S3.GetObject("exports", "intake/"+up.ImportID+".jsonl", nil)
	if err != nil {
		t.Fatalf("s3 object of destination %s: %v", s3d.ID, err)
	}
	defer obj.Contents.Close()
	sc := bufio.NewScanner(obj.Contents)
	var got []string
	for sc.Scan() {
		var row map[string]*string
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatal(err)
		}
		got = append(got, *row["name"])
	}
	if strings.Join(got, "|") != strings.Join(names(rows), "|") {
		t.Fatalf("s3 object holds %d rows, want the 25 sent in order", len(got))
	}

	if pgURL != "" {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, pgURL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var n int
		var sum float64
		if err := conn.QueryRow(ctx, "SELECT count(*), sum(amount) FROM "+table).Scan(&n, &sum); err != nil {
			t.Fatal(err)
		}
		if want := 25*24/2 + 25*0.5; n != 25 || sum != want {
			t.Fatalf("table holds %d rows summing %v, want 25 summing %v", n, sum, want)
		}
	}
}

// TestDeliveryOfPurgedImport purges an import before its delivery runs:
// the delivery stops at once, failed, with the reason in its log.
func TestDeliveryOfPurgedImport(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{Configure: servertest.AllowLoopback})
	rcv := newReceiver(t)
	imp := createImporter(t, env, env.APIKey, nil)
	dest := createDestination(t, env, imp.ID, map[string]any{"type": "webhook", "url": rcv.srv.URL})
	rcv.setSecret(dest.Secret)
	up := uploadRows(t, env, imp, makeRows(5, "purge"), 5)
	if code := env.Do(t, "DELETE", "/api/v1/imports/"+up.ImportID, env.APIKey, nil, nil); code != http.StatusOK {
		t.Fatalf("purge: %d", code)
	}
	env.StartJobs(t)
	log := waitDelivered(t, env, up.ImportID)
	d := log.Deliveries[0]
	if d.State != "failed" || len(d.Attempts) != 1 || !strings.Contains(d.Attempts[0].Error, "purged") {
		t.Fatalf("delivery of a purged import: %+v", d)
	}
	if _, _, _, requests := rcv.snapshot(); requests != 0 {
		t.Fatalf("receiver got %d requests for a purged import", requests)
	}
}

// TestBatchesAcrossChunks reads a stored import back in batches of sizes
// that do and do not line up with its chunks, from several starting
// batches: batch i always holds rows [i*size, (i+1)*size).
func TestBatchesAcrossChunks(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	imp := createImporter(t, env, env.APIKey, nil)
	rows := makeRows(50, "batches")
	up := uploadRows(t, env, imp, rows, 12)
	want := names(rows)
	for _, size := range []int{1, 7, 12, 13, 50, 100} {
		for _, from := range []int{0, 1, 3} {
			next := from
			var got []string
			for b, err := range env.Server.Rows.Batches(context.Background(), up.ImportID, size, from) {
				if err != nil {
					t.Fatalf("size %d from %d: %v", size, from, err)
				}
				if b.Index != next || b.FirstRow != next*size || len(b.Rows) > size {
					t.Fatalf("size %d from %d: batch %d first row %d with %d rows", size, from, b.Index, b.FirstRow, len(b.Rows))
				}
				for _, r := range b.Rows {
					got = append(got, *r[0])
				}
				next++
			}
			start := min(from*size, len(want))
			if strings.Join(got, "|") != strings.Join(want[start:], "|") {
				t.Fatalf("size %d from %d: %d rows, want rows %d.. (%d)", size, from, len(got), start, len(want)-start)
			}
		}
	}
}

// TestRetryAfterAndDeletedDestination checks that a receiver's Retry-After
// is recorded and honoured, and that deleting a destination stops its
// pending delivery with the reason in the log.
func TestRetryAfterAndDeletedDestination(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{Configure: servertest.AllowLoopback})
	env.StartJobs(t)
	rcv := newReceiver(t)
	rcv.respond = func(w http.ResponseWriter, n int) bool {
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return true
		}
		return false
	}
	imp := createImporter(t, env, env.APIKey, nil)
	dest := createDestination(t, env, imp.ID, map[string]any{"type": "webhook", "url": rcv.srv.URL, "schedule": "1h"})
	rcv.setSecret(dest.Secret)
	rows := makeRows(10, "retry")
	up := uploadRows(t, env, imp, rows, 10)
	log := waitDelivered(t, env, up.ImportID)
	d := log.Deliveries[0]
	if d.State != "delivered" || len(d.Attempts) != 3 || d.Attempts[0].Status != http.StatusTooManyRequests {
		t.Fatalf("delivery after a 429: %+v", d)
	}
	var raw struct {
		Deliveries []struct {
			Attempts []struct {
				RetryAfterMS int64     `json:"retry_after_ms"`
				StartedAt    time.Time `json:"started_at"`
				NextRetry    time.Time `json:"next_retry"`
			} `json:"attempts"`
		} `json:"deliveries"`
	}
	env.Do(t, "GET", "/api/v1/imports/"+up.ImportID+"/deliveries", env.APIKey, nil, &raw)
	a := raw.Deliveries[0].Attempts
	// The schedule says 1h; the receiver's Retry-After (1 s) replaced it.
	if a[0].RetryAfterMS != 1000 || a[0].NextRetry.Sub(a[0].StartedAt) > 5*time.Second || a[1].StartedAt.Sub(a[0].StartedAt) < time.Second {
		t.Fatalf("Retry-After not honoured: %+v", a[:2])
	}

	// A destination deleted while its delivery waits for a retry.
	rcv.mu.Lock()
	rcv.respond = func(w http.ResponseWriter, n int) bool { w.WriteHeader(http.StatusServiceUnavailable); return true }
	rcv.mu.Unlock()
	if code := env.Do(t, "PATCH", "/api/v1/importers/"+imp.ID+"/destinations/"+dest.ID, env.APIKey, map[string]any{"enabled": false}, nil); code != http.StatusOK {
		t.Fatalf("disable: %d", code)
	}
	slow := createDestination(t, env, imp.ID, map[string]any{"type": "webhook", "url": rcv.srv.URL, "schedule": "1s,1s,1s"})
	up2 := uploadRows(t, env, imp, makeRows(5, "deleted"), 5)
	deadline := time.Now().Add(20 * time.Second)
	for {
		var l deliveryLog
		env.Do(t, "GET", "/api/v1/imports/"+up2.ImportID+"/deliveries", env.APIKey, nil, &l)
		if slices.ContainsFunc(l.Deliveries, func(d deliveryEntry) bool { return d.DestinationID == slow.ID && len(d.Attempts) > 0 }) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the failing delivery made no attempt")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code := env.Do(t, "DELETE", "/api/v1/importers/"+imp.ID+"/destinations/"+slow.ID, env.APIKey, nil, nil); code != http.StatusNoContent {
		t.Fatalf("delete: %d", code)
	}
	log = waitDelivered(t, env, up2.ImportID)
	for _, d := range log.Deliveries {
		want := map[string]string{dest.ID: "disabled", slow.ID: "failed"}[d.DestinationID]
		last := d.Attempts[len(d.Attempts)-1]
		if d.State != want || (want == "failed" && !strings.Contains(last.Error, "deleted")) {
			t.Fatalf("delivery to %s: %+v, want %s", d.DestinationID, d, want)
		}
	}
}
