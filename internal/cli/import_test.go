package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/intakehq/intake/internal/server/servertest"
)

const importCanary = "CANARY-cli-5b1d"

// countingServer serves env's handler and counts requests by method and path.
type countingServer struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string
}

func newCountingServer(t *testing.T, env *servertest.Env) *countingServer {
	c := &countingServer{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.seen = append(c.seen, r.Method+" "+r.URL.Path)
		c.mu.Unlock()
		env.Server.Handler.ServeHTTP(w, r)
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *countingServer) requests() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.seen...)
}

func (c *countingServer) reset() {
	c.mu.Lock()
	c.seen = nil
	c.mu.Unlock()
}

func writeCSV(t *testing.T, dir, name string, rows int, bad int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("ID,Email\n")
	for i := range rows {
		email := fmt.Sprintf("u%d@example.com", i)
		if i == bad {
			email = importCanary
		}
		fmt.Fprintf(&b, "%d,%s\n", i, email)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestImportCommand(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	env.StartJobs(t)
	srv := newCountingServer(t, env)
	tpl := `{"columns":[{"key":"id","label":"ID","type":"text","required":true,"unique":true},
		{"key":"email","label":"Email","type":"email","required":true}]}`
	var im struct{ ID, Key string }
	if code := env.Do(t, "POST", "/api/v1/importers", env.APIKey, map[string]any{"name": "cli",
		"template": json.RawMessage(tpl)}, &im); code != http.StatusCreated {
		t.Fatalf("create importer: %d", code)
	}
	dir := t.TempDir()
	good := writeCSV(t, dir, "good.csv", 7000, -1)
	bad := writeCSV(t, dir, "bad.csv", 7000, 6500)
	tplPath := filepath.Join(dir, "t.json")
	os.WriteFile(tplPath, []byte(tpl), 0o600)
	remote := []string{"--server", srv.URL, "--api-key", env.APIKey}

	cases := []struct {
		name     string
		args     []string
		code     int
		out, err string
		// sent is whether the file may reach the server.
		sent bool
	}{
		{"imported", append([]string{"import", good, "--importer", im.Key}, remote...), 0, "7000 rows, 0 with errors", "completed: 7000 rows parsed", true},
		{"validation errors", append([]string{"import", bad, "--importer", im.ID}, remote...), 2, "row,column,code\r\n6502,email,invalid_email\r\n", "invalid_rows", true},
		{"explicit mapping", append([]string{"import", good, "--importer", im.ID, "--map", "ID=id", "--map", "Email=email"}, remote...), 0, "7000 rows", "", true},
		{"unknown key", append([]string{"import", good, "--importer", im.ID, "--map", "ID=nope"}, remote...), 1, "", "bad_mapping", true},
		{"bad api key", []string{"import", good, "--importer", im.ID, "--server", srv.URL, "--api-key", "ik_wrong"}, 1, "", "unauthorized", true},
		{"dry run, valid", []string{"import", good, "--dry-run", "--template", tplPath, "--server", srv.URL}, 0, "", "7000 rows, 0 errors, nothing sent", false},
		{"dry run, invalid", []string{"import", bad, "--dry-run", "--template", tplPath, "--server", srv.URL}, 2, "row,column,code\r\n6502,email,invalid_email\r\n", "1 errors", false},
		{"dry run, server's template", append([]string{"import", bad, "--dry-run", "--importer", im.Key}, remote...), 2, "6502,email,invalid_email", "", false},
		{"no file", []string{"import", "--importer", im.ID}, 2, "", "Usage", false},
	}
	for _, c := range cases {
		srv.reset()
		code, out, errOut := runIn(t, "", c.args...)
		if code != c.code || !strings.Contains(out, c.out) || !strings.Contains(errOut, c.err) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want %d, %q, %q", c.name, code, out, errOut, c.code, c.out, c.err)
		}
		if strings.Contains(out+errOut, importCanary) {
			t.Errorf("%s: a cell value was printed", c.name)
		}
		for _, r := range srv.requests() {
			// A dry run reads the importer's template and learned
			// mappings, and sends nothing.
			if !c.sent && r != "GET /api/v1/importers" && !(strings.HasPrefix(r, "GET /api/v1/importers/") && strings.HasSuffix(r, "/learned")) {
				t.Errorf("%s: sent %s", c.name, r)
			}
		}
		if c.name == "dry run, valid" && len(srv.requests()) != 0 {
			t.Errorf("dry run with --template sent %v", srv.requests())
		}
	}
	if strings.Contains(env.Logs.String(), importCanary) {
		t.Error("the server logged a cell value")
	}
}

func TestReorderFlags(t *testing.T) {
	t.Parallel()
	got := strings.Join(reorder([]string{"f.csv", "--importer", "imp_x", "--dry-run", "--map=a=b", "--sheet", "#2"}), " ")
	if want := "--importer imp_x --dry-run --map=a=b --sheet #2 f.csv"; got != want {
		t.Errorf("reorder: %q, want %q", got, want)
	}
}
