package server_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/intakehq/intake/internal/e2e"
	"github.com/intakehq/intake/internal/server/servertest"
)

// TestE2EWebhookDelivery (issue 17): an e2e import reaches a webhook as
// signed envelopes of age ciphertext, one per chunk; the receiver opens
// them with the team's identity and gets exactly the rows sent, in order,
// and the server logs no cell.
func TestE2EWebhookDelivery(t *testing.T) {
	t.Parallel()
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			b.opts.Configure = servertest.AllowLoopback
			env := servertest.Start(t, b.opts)
			env.StartJobs(t)
			id, _ := age.GenerateX25519Identity()
			rcv := newReceiver(t)
			rcv.identity = id
			imp := createImporter(t, env, env.APIKey, map[string]any{"mode": "e2e", "recipients": []string{id.Recipient().String()}})
			for _, kind := range []string{"postgres", "s3"} {
				var raw map[string]any
				if code := env.Do(t, "POST", "/api/v1/importers/"+imp.ID+"/destinations", env.APIKey, map[string]any{"type": kind}, &raw); code != http.StatusBadRequest {
					t.Fatalf("%s destination for an e2e importer: %d", kind, code)
				}
			}
			dest := createDestination(t, env, imp.ID, map[string]any{"type": "webhook", "url": rcv.srv.URL + "/hook", "batch_size": 7})
			rcv.setSecret(dest.Secret)

			rows := makeRows(23, "e2e-CANARY")
			columns := []string{"name", "email", "amount"}
			up := createUpload(t, env, imp.Key, columns, len(rows))
			n := 0
			for first := 0; first < len(rows); first += 10 {
				part := rows[first:min(first+10, len(rows))]
				ct, err := e2e.Seal(e2e.Chunk{FirstRow: int64(first), Columns: columns, Rows: part}, id.Recipient())
				if err != nil {
					t.Fatal(err)
				}
				req, _ := http.NewRequest("PUT", fmt.Sprintf("%s/api/v1/uploads/%s/chunks/%d?first_row=%d&rows=%d", env.URL, up.ImportID, n, first, len(part)), bytes.NewReader(ct))
				req.Header.Set("Authorization", "Bearer "+up.UploadToken)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Fatalf("chunk %d: %d %s", n, resp.StatusCode, body)
				}
				n++
			}
			if code := doUpload(t, env, up, "/api/v1/uploads/"+up.ImportID+"/complete", map[string]any{"chunks": n, "rows": len(rows)}, nil); code != http.StatusOK {
				t.Fatalf("complete: %d", code)
			}
			log := waitDelivered(t, env, up.ImportID)
			got, completed, bad, _ := rcv.snapshot()
			if !slices.Equal(got, names(rows)) || completed != len(rows) || bad != 0 {
				t.Fatalf("receiver opened %d rows (completed %d, bad %d), want the %d sent in order", len(got), completed, bad, len(rows))
			}
			if d := log.Deliveries[0]; d.State != "delivered" || d.AckedBatches != n {
				t.Fatalf("delivery %+v: one batch per chunk (%d)", d, n)
			}
			if strings.Contains(env.Logs.String(), "e2e-CANARY") {
				t.Fatal("a cell value in the clear in the logs")
			}
		})
	}
}
