package server_test

import (
	"strings"
	"testing"

	"github.com/intakehq/intake/internal/server/servertest"
	"github.com/intakehq/intake/internal/store"
)

// TestCanaryNeverAtRest imports rows holding a unique canary (in a valid
// cell, in an invalid one, and in the host's user context), reads them back
// through the API to prove they were stored, then scans every byte under the
// data folder (DB, WAL, SHM, blobs, key file), the S3 objects and the server
// log: the canary is nowhere in plaintext, in UTF-8 or UTF-16.
func TestCanaryNeverAtRest(t *testing.T) {
	t.Parallel()
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			env := servertest.Start(t, b.opts)
			canary := "canary-" + store.RandomToken(10)
			im := createImporter(t, env, env.APIKey, map[string]any{"allow_invalid": true})
			var up upload
			env.Do(t, "POST", "/api/v1/uploads", "", map[string]any{"importer": im.Key, "columns": []string{"name", "email", "amount"},
				"source": map[string]any{"format": "xlsx", "size_bytes": 10}, "rows": 3,
				"user": map[string]any{"id": canary + "-user"}, "metadata": map[string]any{"note": canary + "-meta"}}, &up)
			rows := [][]*string{
				{s("Zoë \"" + canary + "\" ünïcode"), s("a@example.com"), s("1")},
				{s(canary), s(canary + "@example.com"), s("2")},
				{s("x"), s(canary + " is not an email"), s(canary)},
			}
			if code, body := putChunk(t, env, up, 0, chunkBody(0, rows), true); code != 200 {
				t.Fatalf("chunk: %d %s", code, body)
			}
			env.Do(t, "POST", "/api/v1/uploads/"+up.ImportID+"/complete", up.UploadToken, map[string]any{"chunks": 1, "rows": 3}, nil)
			var page rowsPage
			env.Do(t, "GET", "/api/v1/imports/"+up.ImportID+"/rows", env.APIKey, nil, &page)
			if len(page.Rows) != 3 || !strings.Contains(*page.Rows[1][0], canary) {
				t.Fatal("the canary rows did not round-trip, so the scan would prove nothing")
			}
			if err := env.Server.Store.Checkpoint(t.Context()); err != nil {
				t.Fatal(err)
			}
			if hits := env.FindSecret(t, canary); len(hits) > 0 {
				t.Fatalf("canary found in plaintext at rest: %v", hits)
			}
			// The scan itself can find things: a control planted in the data folder is found.
			servertest.Plant(t, env.DataDir, canary)
			if hits := env.FindSecret(t, canary); len(hits) != 1 {
				t.Fatalf("scanner missed a planted canary: %v", hits)
			}
		})
	}
}
