package retention_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"gocloud.dev/blob"

	"github.com/intakehq/intake/internal/ingest"
	"github.com/intakehq/intake/internal/retention"
	"github.com/intakehq/intake/internal/rows"
	"github.com/intakehq/intake/internal/server"
	"github.com/intakehq/intake/internal/store"
	"github.com/intakehq/intake/internal/store/storetest"
	"github.com/intakehq/intake/internal/vault"
)

// clock is a settable fake clock shared by the store, ingest and retention.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// bundle is a store, vault, bucket, upload pipeline, row reader and purge service on one
// fake clock, with an organization and an importer.
type bundle struct {
	Store     *store.Store
	Vault     *vault.Vault
	Bucket    *blob.Bucket
	Ingest    *ingest.Service
	Rows      *rows.Reader
	Svc       *retention.Service
	Clock     *clock
	DataDir   string
	OrgID     string
	Importer  store.Importer
	Logs      *bytes.Buffer
	newBucket func() *blob.Bucket
}

const testTemplate = `{"columns":[
	{"key":"name","label":"Name","type":"text","required":true},
	{"key":"email","label":"Email","type":"email","unique":true}]}`

var epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// setup opens a bundle on SQLite, or on PostgreSQL when pg is set (skipping
// when no test database is configured).
func setup(t testing.TB, pg bool, opts retention.Options) *bundle {
	t.Helper()
	ctx := context.Background()
	b := &bundle{Clock: &clock{t: epoch}, DataDir: t.TempDir(), Logs: &bytes.Buffer{}}
	so := store.Options{SQLitePath: filepath.Join(b.DataDir, "intake.db"), Now: b.Clock.Now}
	if pg {
		url := storetest.PostgresURL(t)
		if url == "" {
			t.Skip("PostgreSQL not configured")
		}
		so = store.Options{PostgresURL: url, Now: b.Clock.Now}
	}
	var err error
	if b.Store, err = store.Open(ctx, so); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Store.Close() })
	if b.Vault, err = vault.Open(ctx, "", b.DataDir); err != nil {
		t.Fatal(err)
	}
	b.newBucket = func() *blob.Bucket {
		bk, err := server.OpenBucket(ctx, "", b.DataDir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { bk.Close() })
		return bk
	}
	b.Bucket = b.newBucket()
	logger := slog.New(slog.NewJSONHandler(&lockedWriter{w: b.Logs}, nil))
	b.Ingest = ingest.New(ingest.Options{Store: b.Store, Vault: b.Vault, Bucket: b.Bucket, Logger: logger, Now: b.Clock.Now, TokenTTL: 24 * time.Hour})
	b.Rows = rows.New(rows.Options{Store: b.Store, Vault: b.Vault, Bucket: b.Bucket})
	opts.Store, opts.Vault, opts.Logger, opts.Now = b.Store, b.Vault, logger, b.Clock.Now
	if opts.Bucket == nil {
		opts.Bucket = b.Bucket
	}
	b.Svc = retention.New(opts)
	org, err := b.Store.CreateOrgWithOwner(ctx, "org-"+store.RandomToken(4), store.RandomToken(4)+"@example.com", "hash", "ik_"+store.RandomToken(3), []byte(store.RandomToken(8)))
	if err != nil {
		t.Fatal(err)
	}
	b.OrgID = org.ID
	b.Importer = b.newImporter(t, 1)
	return b
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (b *bundle) newImporter(t testing.TB, retentionDays int) store.Importer {
	t.Helper()
	im, err := b.Store.CreateImporter(context.Background(), b.OrgID, store.Importer{Name: "n", Template: []byte(testTemplate),
		Mode: store.ModeStored, RetentionDays: retentionDays, MaxRows: 1 << 20, MaxFileBytes: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	return im
}

// upload opens an import of the bundle's importer and stores chunks of
// rowsPer rows each; complete finishes it. It returns the import id and token.
func (b *bundle) upload(t testing.TB, importer store.Importer, chunks, rowsPer int, complete bool) (string, string) {
	t.Helper()
	ctx := context.Background()
	req := ingest.CreateRequest{Importer: importer.Key, Columns: []string{"name", "email"}, Rows: int64(chunks * rowsPer),
		User: json.RawMessage(`{"id":"end-user-1"}`)}
	req.Source.Format, req.Source.SizeBytes = "csv", 100
	up, err := b.Ingest.Create(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	for n := range chunks {
		rows := make([][]*string, rowsPer)
		for i := range rows {
			name, email := fmt.Sprintf("person %d", n*rowsPer+i), fmt.Sprintf("p%d@example.com", n*rowsPer+i)
			rows[i] = []*string{&name, &email}
		}
		body, _ := json.Marshal(map[string]any{"first_row": n * rowsPer, "rows": rows})
		if _, err := b.Ingest.PutChunk(ctx, up.ImportID, up.UploadToken, n, "", bytes.NewReader(body)); err != nil {
			t.Fatal(err)
		}
	}
	if complete {
		if _, err := b.Ingest.Complete(ctx, up.ImportID, up.UploadToken, ingest.CompleteRequest{Chunks: chunks, Rows: int64(chunks * rowsPer)}); err != nil {
			t.Fatal(err)
		}
	}
	return up.ImportID, up.UploadToken
}

// blobs counts the blobs of an import.
func (b *bundle) blobs(t testing.TB, importID string) int {
	t.Helper()
	return countBlobs(t, b.Bucket, importID)
}

// countBlobs counts the blobs of an import in bk.
func countBlobs(t testing.TB, bk *blob.Bucket, importID string) int {
	t.Helper()
	n := 0
	it := bk.List(&blob.ListOptions{Prefix: "imports/" + importID + "/"})
	for {
		obj, err := it.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil {
			t.Fatal(err)
		}
		if !obj.IsDir {
			n++
		}
	}
}

// count runs a COUNT(*) query.
func (b *bundle) count(t testing.TB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := b.Store.WriteDB().QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// exec runs a statement directly (to simulate tampering).
func (b *bundle) exec(t testing.TB, query string, args ...any) {
	t.Helper()
	if _, err := b.Store.WriteDB().ExecContext(context.Background(), query, args...); err != nil {
		t.Fatal(err)
	}
}

// assertGone checks an import was fully purged: shredded, no blobs, no
// chunk rows or claims, counts kept.
func (b *bundle) assertGone(t testing.TB, importID string, wantChunks int) {
	t.Helper()
	im, err := b.Store.Import(context.Background(), b.OrgID, importID)
	if err != nil {
		t.Fatal(err)
	}
	if im.Status != store.StatusPurged || im.WrappedKey != nil || im.SealedContext != nil || im.PurgedAt == nil {
		t.Fatalf("import %s not shredded: status %s, key %d bytes, context %d bytes", importID, im.Status, len(im.WrappedKey), len(im.SealedContext))
	}
	if im.ChunksReceived != wantChunks {
		t.Fatalf("import %s counts lost: %d chunks, want %d", importID, im.ChunksReceived, wantChunks)
	}
	if n := b.blobs(t, importID); n != 0 {
		t.Fatalf("import %s: %d blobs left", importID, n)
	}
	if n := b.count(t, `SELECT COUNT(*) FROM chunks WHERE import_id = $1`, importID); n != 0 {
		t.Fatalf("import %s: %d chunk rows left", importID, n)
	}
	if n := b.count(t, `SELECT COUNT(*) FROM claim_runs WHERE import_id = $1`, importID); n != 0 {
		t.Fatalf("import %s: %d claim runs left", importID, n)
	}
	if n := b.count(t, `SELECT COUNT(*) FROM import_events WHERE import_id = $1 AND kind = 'import.purged'`, importID); n != 1 {
		t.Fatalf("import %s: %d receipts, want 1", importID, n)
	}
}

// verify fails the test unless the organization's chain verifies.
func (b *bundle) verify(t testing.TB) retention.Audit {
	t.Helper()
	a, err := retention.Verify(context.Background(), b.Store, b.OrgID)
	if err != nil {
		t.Fatal(err)
	}
	if !a.OK {
		t.Fatalf("receipt chain does not verify: %+v", a.Problems)
	}
	return a
}

func backends() []struct {
	name string
	pg   bool
} {
	return []struct {
		name string
		pg   bool
	}{{"sqlite", false}, {"postgres", true}}
}
