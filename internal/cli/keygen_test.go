package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/intakehq/intake/internal/e2e"
)

// TestKeygenAndDecrypt (issue 17): keygen writes an identity only its owner
// reads and prints its recipient, never overwrites a file; decrypt turns a
// bundle sealed to that recipient into JSON lines and CSV, and refuses a
// bundle sealed to another key. The bundle mixes the widget's two kinds of
// chunk: gzip'd JSON (a slow link) and JSON as it is (a fast one).
func TestKeygenAndDecrypt(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key := filepath.Join(dir, "key.txt")
	code, out, errOut := runIn(t, "", "keygen", "--out", key)
	if code != exitOK || !strings.HasPrefix(out, "age1") {
		t.Fatalf("keygen: %d %q %s", code, out, errOut)
	}
	fi, err := os.Stat(key)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("identity file: %v %v", err, fi.Mode())
	}
	b, _ := os.ReadFile(key)
	if strings.Contains(out, "AGE-SECRET-KEY") || !strings.Contains(string(b), "AGE-SECRET-KEY-") {
		t.Fatalf("keygen printed the identity or did not write it")
	}
	if code, _, errOut := runIn(t, "", "keygen", "--out", key); code != exitInvalid || !strings.Contains(errOut, "never overwritten") {
		t.Fatalf("keygen over an existing file: %d %s", code, errOut)
	}
	rcpt, err := age.ParseX25519Recipient(strings.TrimSpace(out))
	if err != nil {
		t.Fatal(err)
	}
	v := func(s string) *string { return &s }
	var bundle bytes.Buffer
	for i, c := range []e2e.Chunk{
		{FirstRow: 0, Columns: []string{"name", "email"}, Rows: [][]*string{{v("Ann, \"A\""), v("ann@example.com")}, {v("Bob"), nil}}},
		{FirstRow: 2, Columns: []string{"name", "email"}, Rows: [][]*string{{v("Cy"), v("cy@example.com")}}},
	} {
		p, err := []func(e2e.Chunk, ...age.Recipient) ([]byte, error){e2e.Seal, e2e.SealJSON}[i](c, rcpt)
		if err != nil {
			t.Fatal(err)
		}
		json.NewEncoder(&bundle).Encode(e2e.BundleEntry{ImportID: "imt_x", Chunk: i, FirstRow: c.FirstRow, Rows: len(c.Rows), Ciphertext: p})
	}
	path := filepath.Join(dir, "imt_x.age.jsonl")
	os.WriteFile(path, bundle.Bytes(), 0o600)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{path}, `{"name":"Ann, \"A\"","email":"ann@example.com"}` + "\n" + `{"name":"Bob","email":null}` + "\n" + `{"name":"Cy","email":"cy@example.com"}` + "\n"},
		{[]string{"--format", "csv", path}, "name,email\r\n\"Ann, \"\"A\"\"\",ann@example.com\r\nBob,\r\nCy,cy@example.com\r\n"},
	} {
		code, out, errOut := runIn(t, "", append([]string{"decrypt", "--identity", key}, c.args...)...)
		if code != exitOK || out != c.want {
			t.Errorf("decrypt %v: %d %q %s", c.args, code, out, errOut)
		}
	}
	// From stdin, with another identity: refused.
	other := filepath.Join(dir, "other.txt")
	runIn(t, "", "keygen", "--out", other)
	if code, out, errOut := runIn(t, bundle.String(), "decrypt", "--identity", other, "-"); code != exitFailure || out != "" || !strings.Contains(errOut, "identity did not match") {
		t.Errorf("decrypt with another identity: %d %q %s", code, out, errOut)
	}
}
