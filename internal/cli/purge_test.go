package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/intakehq/intake/internal/server/servertest"
	"github.com/intakehq/intake/internal/store"
	"github.com/intakehq/intake/internal/widget"
)

// seedImport stores a completed import of one chunk through the API of env
// and returns its id and its importer's id.
func seedImport(t *testing.T, env *servertest.Env) (importID, importerID string) {
	t.Helper()
	var im struct{ ID, Key string }
	if code := env.Do(t, "POST", "/api/v1/importers", env.APIKey, map[string]any{"name": "c",
		"template": json.RawMessage(`{"columns":[{"key":"name","label":"Name","type":"text"}]}`)}, &im); code != http.StatusCreated {
		t.Fatalf("create importer: %d", code)
	}
	var up struct {
		ImportID    string `json:"import_id"`
		UploadToken string `json:"upload_token"`
	}
	env.Do(t, "POST", "/api/v1/uploads", "", map[string]any{"importer": im.Key, "columns": []string{"name"},
		"source": map[string]any{"format": "csv", "size_bytes": 10}, "rows": 2}, &up)
	if code := env.Do(t, "PUT", fmt.Sprintf("/api/v1/uploads/%s/chunks/0", up.ImportID), up.UploadToken,
		[]byte(`{"first_row":0,"rows":[["a"],["b"]]}`), nil); code != http.StatusOK {
		t.Fatalf("chunk: %d", code)
	}
	if code := env.Do(t, "POST", "/api/v1/uploads/"+up.ImportID+"/complete", up.UploadToken, map[string]any{"chunks": 1, "rows": 2}, nil); code != http.StatusOK {
		t.Fatalf("complete: %d", code)
	}
	return up.ImportID, im.ID
}

// TestPurgeAndAuditCommands purges through the command line against a
// server's data folder, prints what was shredded, verifies the receipt
// chain, and reports it broken once a receipt is deleted.
func TestPurgeAndAuditCommands(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	dir := "--data-dir=" + env.DataDir
	one, importer := seedImport(t, env)
	seedImport(t, env)
	code, out, errOut := runIn(t, "", "purge", "--import", one, dir)
	if code != exitOK || strings.TrimSpace(out) != `{"imports":1,"chunks":1,"bytes":`+bytesOf(t, out)+`}` {
		t.Fatalf("purge --import: %d %s %s", code, out, errOut)
	}
	var status struct{ Status string }
	env.Do(t, "GET", "/api/v1/imports/"+one, env.APIKey, nil, &status)
	if status.Status != "purged" {
		t.Fatalf("import is %s after the purge command", status.Status)
	}
	if code, out, _ := runIn(t, "", "purge", "--importer", importer, dir); code != exitOK || !strings.HasPrefix(out, `{"imports":0,`) {
		t.Fatalf("purge --importer of purged imports: %d %s", code, out)
	}
	org := orgName(t, env)
	if code, out, _ := runIn(t, "", "purge", "--all", "--org", org, dir); code != exitOK || !strings.HasPrefix(out, `{"imports":1,`) {
		t.Fatalf("purge --all: %d %s", code, out)
	}
	if code, out, _ := runIn(t, "", "purge", "--expired", dir); code != exitOK || !strings.HasPrefix(out, `{"imports":0,`) {
		t.Fatalf("purge --expired: %d %s", code, out)
	}
	code, out, errOut = runIn(t, "", "audit", "verify", "--org", org, dir)
	if code != exitOK || !strings.Contains(out, `"receipts":2`) || !strings.Contains(out, `"ok":true`) {
		t.Fatalf("audit verify: %d %s %s", code, out, errOut)
	}
	if _, err := env.Server.Store.WriteDB().Exec(`DELETE FROM import_events WHERE import_id = $1 AND kind = 'import.purged'`, one); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runIn(t, "", "audit", "verify", dir)
	if code != exitInvalid || !strings.Contains(out, `"ok":false`) || !strings.Contains(out, "removed") {
		t.Fatalf("audit verify of a tampered chain: %d %s", code, out)
	}
}

func bytesOf(t *testing.T, out string) string {
	var r struct{ Bytes int64 }
	if err := json.Unmarshal([]byte(out), &r); err != nil || r.Bytes <= 0 {
		t.Fatalf("purge output %q", out)
	}
	return fmt.Sprint(r.Bytes)
}

func orgName(t *testing.T, env *servertest.Env) string {
	var name string
	if err := env.Server.Store.WriteDB().QueryRow(`SELECT name FROM organizations WHERE id = $1`, env.OrgID).Scan(&name); err != nil {
		t.Fatal(err)
	}
	return name
}

func TestPurgeUsage(t *testing.T) {
	t.Parallel()
	dir := "--data-dir=" + t.TempDir()
	for _, args := range [][]string{
		{"purge", dir},
		{"purge", "--all", dir},
		{"purge", "--org", "x", "--expired", dir},
		{"purge", "--import", "a", "--expired", dir},
		{"audit", dir},
	} {
		if code, _, _ := runIn(t, "", args...); code != exitInvalid {
			t.Errorf("%v: exit %d, want %d", args, code, exitInvalid)
		}
	}
}

// TestPurgeOpensNoServer runs `intake purge --expired` on an empty data
// folder: it purges nothing and leaves the store as it found it (no demo
// importer, which only `intake serve` creates).
func TestPurgeOpensNoServer(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if code, out, errOut := runIn(t, "", "purge", "--expired", "--data-dir", dir); code != exitOK || strings.TrimSpace(out) != `{"imports":0,"chunks":0,"bytes":0}` {
		t.Fatalf("purge --expired: %d %s %s", code, out, errOut)
	}
	st, err := store.Open(context.Background(), store.Options{SQLitePath: filepath.Join(dir, "intake.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.ImporterByKey(context.Background(), widget.DemoImporterKey); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("demo importer after a purge command: %v", err)
	}
}
