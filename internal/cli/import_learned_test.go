package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/intakehq/intake/internal/mapping"
	"github.com/intakehq/intake/internal/server/servertest"
	"github.com/intakehq/intake/internal/store"
)

// TestDryRunUsesLearned: a dry run against the server's importer maps the
// file with the importer's learned mappings, as the server's job would
// (and the widget): a header only they map fills a required column.
func TestDryRunUsesLearned(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	tpl := `{"columns":[{"key":"id","label":"ID","type":"text","required":true},{"key":"email","label":"Email","type":"email"}]}`
	path := filepath.Join(t.TempDir(), "f.csv")
	if err := os.WriteFile(path, []byte("Feld Z,Email\n1,a@example.com\n2,b@example.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, learn := range []bool{true, false} {
		var im struct{ ID, Key string }
		if code := env.Do(t, "POST", "/api/v1/importers", env.APIKey, map[string]any{"name": "cli", "learn_mappings": learn,
			"template": json.RawMessage(tpl)}, &im); code != http.StatusCreated {
			t.Fatalf("create importer: %d", code)
		}
		if _, err := env.Server.Store.Learn(context.Background(), im.ID,
			[]store.LearnedMapping{{Header: mapping.Normalise("Feld Z"), Key: "id"}}); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := runIn(t, "", "import", path, "--dry-run", "--importer", im.Key, "--server", env.URL, "--api-key", env.APIKey)
		switch {
		case learn && (code != exitOK || !strings.Contains(errOut, "2 rows, 0 errors")):
			t.Errorf("learned: exit %d, stdout %q, stderr %q", code, out, errOut)
		case !learn && (code != exitFailure || !strings.Contains(errOut, "unmapped_required")):
			t.Errorf("not learning: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
	}
}
