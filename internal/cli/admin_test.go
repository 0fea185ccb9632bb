package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/intakehq/intake/internal/store"
)

func runIn(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestAdminInitAndAPIKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, out, errOut := runIn(t, "correct horse battery\n", "admin", "init", "--org", "acme", "--email", "Owner@Acme.test", "--password-stdin", "--data-dir", dir)
	if code != exitOK {
		t.Fatalf("init: exit %d: %s", code, errOut)
	}
	var first struct {
		OrgID  string `json:"org_id"`
		APIKey string `json:"api_key"`
	}
	if err := json.Unmarshal([]byte(out), &first); err != nil || !strings.HasPrefix(first.APIKey, "ik_") || !strings.HasPrefix(first.OrgID, "org_") {
		t.Fatalf("init printed %q", out)
	}
	code, out, _ = runIn(t, "", "admin", "apikey", "create", "--org", "acme", "--data-dir", dir)
	var second struct {
		OrgID  string `json:"org_id"`
		APIKey string `json:"api_key"`
	}
	json.Unmarshal([]byte(out), &second)
	if code != exitOK || second.OrgID != first.OrgID || second.APIKey == first.APIKey {
		t.Fatalf("apikey create: exit %d, %q", code, out)
	}
	st, err := store.Open(context.Background(), store.Options{SQLitePath: filepath.Join(dir, "intake.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, k := range []string{first.APIKey, second.APIKey} {
		org, err := st.OrgByAPIKeyHash(context.Background(), store.HashSecret(k))
		if err != nil || org.ID != first.OrgID {
			t.Fatalf("key does not open its organization: %v", err)
		}
	}
}

func TestAdminRefuses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if code, _, _ := runIn(t, "correct horse battery\n", "admin", "init", "--org", "acme", "--email", "a@acme.test", "--password-stdin", "--data-dir", dir); code != exitOK {
		t.Fatal("setup failed")
	}
	cases := []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"same org again", "correct horse battery\n", []string{"admin", "init", "--org", "acme", "--email", "b@acme.test", "--password-stdin", "--data-dir", dir}, "already exists"},
		{"short password", "short\n", []string{"admin", "init", "--org", "x", "--email", "c@acme.test", "--password-stdin", "--data-dir", dir}, "at least 8"},
		{"no password flag", "", []string{"admin", "init", "--org", "x", "--email", "c@acme.test", "--data-dir", dir}, "required"},
		{"unknown org", "", []string{"admin", "apikey", "create", "--org", "nope", "--data-dir", dir}, "not found"},
		{"unknown subcommand", "", []string{"admin", "frobnicate"}, "Usage"},
		{"unknown flag", "", []string{"admin", "init", "--bogus"}, "not defined"},
		{"unknown command", "", []string{"explode"}, "unknown command"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runIn(t, c.stdin, c.args...)
			if code == exitOK || !strings.Contains(errOut, c.want) || strings.Contains(out, "ik_") {
				t.Fatalf("exit %d, stderr %q, stdout %q; want failure mentioning %q", code, errOut, out, c.want)
			}
		})
	}
}
