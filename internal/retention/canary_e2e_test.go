package retention_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/intakehq/intake/internal/e2e"
	"github.com/intakehq/intake/internal/store"
)

// TestCanaryE2E (issue 17): an end-to-end encrypted import never holds its
// canary in plaintext anywhere at rest or in the logs, nor its age
// ciphertext (sealed once more with the data key), while the team's
// webhook receiver opens the canary with its identity (the control); the
// purge destroys the data key and deletes the sealed blobs as for any
// import, after which no fragment of the ciphertext is found either.
func TestCanaryE2E(t *testing.T) {
	t.Parallel()
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			e := start(t, be.pg)
			id, _ := age.GenerateX25519Identity()
			canary := "canary-" + store.RandomToken(10)
			control := "importer-" + store.RandomToken(10)
			var im struct{ ID, Key string }
			if code := e.Do(t, "POST", "/api/v1/importers", e.APIKey, map[string]any{"name": control, "mode": "e2e",
				"recipients": []string{id.Recipient().String()}, "template": json.RawMessage(testTemplate)}, &im); code != http.StatusCreated {
				t.Fatalf("create e2e importer: %d", code)
			}
			delivered := e.webhook(t, im.ID)
			up := e.create(t, im.Key, 2, nil)
			sent := e2e.Chunk{Columns: []string{"name", "email"}, Rows: [][]*string{{&canary, nil}, {ptr("Zoë " + canary), ptr("a@example.com")}}}
			ct, err := e2e.Seal(sent, id.Recipient())
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest("PUT", fmt.Sprintf("%s/api/v1/uploads/%s/chunks/0?first_row=0&rows=2", e.URL, up.ImportID), bytes.NewReader(ct))
			req.Header.Set("Authorization", "Bearer "+up.UploadToken)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("put chunk: %d", resp.StatusCode)
			}
			if code := e.Do(t, "POST", "/api/v1/uploads/"+up.ImportID+"/complete", up.UploadToken, map[string]any{"chunks": 1, "rows": 2}, nil); code != http.StatusOK {
				t.Fatalf("complete: %d", code)
			}
			// Control: the receiver opens the canary with the identity.
			opened := false
			for !opened {
				select {
				case body := <-delivered:
					var env e2e.Envelope
					if json.Unmarshal([]byte(body), &env) == nil && env.Ciphertext != nil {
						c, err := e2e.Open(env.Ciphertext, id)
						if err != nil || *c.Rows[0][0] != canary {
							t.Fatalf("control: the envelope does not open to the canary: %v", err)
						}
						opened = true
					}
				case <-time.After(30 * time.Second):
					t.Fatal("the import was not delivered")
				}
			}
			// Fragments of the ciphertext as sent and as base64 (webhook form).
			fragment := string(ct[len(ct)-48:])
			b64 := base64.StdEncoding.EncodeToString(ct)
			b64Fragment := b64[len(b64)/2 : len(b64)/2+40]
			e.requireHidden(t, "before the purge", control, canary, fragment, b64Fragment)
			e.wrappedKey(t, up.ImportID)
			e.purge(t, up.ImportID)
			e.requireHidden(t, "after the purge", "", canary, fragment, b64Fragment)
			after, _ := e.Server.Store.Import(context.Background(), e.OrgID, up.ImportID)
			if len(after.WrappedKey) != 0 || after.Status != store.StatusPurged {
				t.Fatalf("after the purge: status %s, wrapped key kept: %v", after.Status, len(after.WrappedKey) != 0)
			}
			if n := countBlobs(t, e.Server.Bucket, up.ImportID); n != 0 {
				t.Fatalf("%d blobs left after the purge", n)
			}
		})
	}
}

func ptr(s string) *string { return &s }
