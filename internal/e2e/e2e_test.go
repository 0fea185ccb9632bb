package e2e_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/intakehq/intake/internal/e2e"
)

func TestCheckRecipients(t *testing.T) {
	t.Parallel()
	a, _ := age.GenerateX25519Identity()
	b, _ := age.GenerateX25519Identity()
	many := make([]string, e2e.MaxRecipients+1)
	for i := range many {
		id, _ := age.GenerateX25519Identity()
		many[i] = id.Recipient().String()
	}
	for _, c := range []struct {
		name string
		list []string
		want string
	}{
		{"two keys", []string{a.Recipient().String(), b.Recipient().String()}, ""},
		{"none", nil, "needs 1 to 16"},
		{"too many", many, "needs 1 to 16"},
		{"an identity, not a recipient", []string{a.String()}, "recipients[0] is not"},
		{"ssh key", []string{"ssh-ed25519 AAAA"}, "recipients[0] is not"},
		{"repeat", []string{b.Recipient().String(), a.Recipient().String(), b.Recipient().String()}, "recipients[2] repeats"},
	} {
		err := e2e.CheckRecipients(c.list)
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "AGE-SECRET-KEY") {
			t.Errorf("%s: the error quotes the key", c.name)
		}
	}
}

func s(v string) *string { return &v }

// TestPayloads: intake decrypt's three inputs (an age file, a webhook
// envelope, a bundle of JSON lines) each yield their age payloads; other
// input is refused.
func TestPayloads(t *testing.T) {
	t.Parallel()
	id, _ := age.GenerateX25519Identity()
	c0 := e2e.Chunk{FirstRow: 0, Columns: []string{"a"}, Rows: [][]*string{{s("1")}, {nil}}}
	c1 := e2e.Chunk{FirstRow: 2, Columns: []string{"a"}, Rows: [][]*string{{s("é\"\n")}}}
	p0, _ := e2e.Seal(c0, id.Recipient())
	p1, _ := e2e.Seal(c1, id.Recipient())
	var bundle bytes.Buffer
	enc := json.NewEncoder(&bundle)
	enc.Encode(e2e.BundleEntry{ImportID: "imt_1", Chunk: 0, Rows: 2, Ciphertext: p0})
	enc.Encode(e2e.BundleEntry{ImportID: "imt_1", Chunk: 1, FirstRow: 2, Rows: 1, Ciphertext: p1})
	envelope, _ := json.Marshal(e2e.Envelope{ImportID: "imt_1", Batch: json.RawMessage(`{"index":0}`), Ciphertext: p1})
	for _, c := range []struct {
		name string
		in   []byte
		want []e2e.Chunk
		err  string
	}{
		{"age file", p0, []e2e.Chunk{c0}, ""},
		{"bundle", bundle.Bytes(), []e2e.Chunk{c0, c1}, ""},
		{"envelope", envelope, []e2e.Chunk{c1}, ""},
		{"empty", nil, nil, "no age payload"},
		{"plain JSON", []byte(`{"ciphertext":"aGVsbG8="}`), nil, "payload 0 has no age ciphertext"},
	} {
		var got []e2e.Chunk
		err := e2e.Payloads(bytes.NewReader(c.in), func(p []byte) error {
			ch, err := e2e.Open(p, id)
			got = append(got, ch)
			return err
		})
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: %v, want %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %v %+v", c.name, err, got)
		}
	}
	other, _ := age.GenerateX25519Identity()
	if _, err := e2e.Open(p0, other); err == nil {
		t.Error("another identity opened the payload")
	}
}

// TestAgeCommandOpensSeal: what Seal writes (the widget's format, gzip then
// age) the age command-line tool opens with an identity file. CI installs
// the Debian package age; elsewhere the test skips and says so.
func TestAgeCommandOpensSeal(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("age")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("the age command is missing in CI (.ci/run installs the Debian package age)")
		}
		t.Skip("the age command is not installed (apt-get install -y age); CI runs this test")
	}
	id, _ := age.GenerateX25519Identity()
	key := filepath.Join(t.TempDir(), "key.txt")
	os.WriteFile(key, []byte(id.String()+"\n"), 0o600)
	c := e2e.Chunk{FirstRow: 5, Columns: []string{"a", "b"}, Rows: [][]*string{{s("x"), nil}}}
	p, _ := e2e.Seal(c, id.Recipient())
	cmd := exec.Command(bin, "-d", "-i", key)
	cmd.Stdin = bytes.NewReader(p)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("age -d: %v", err)
	}
	gz, err := gzip.NewReader(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(gz)
	var got e2e.Chunk
	if err := json.Unmarshal(plain, &got); err != nil || !reflect.DeepEqual(got, c) {
		t.Fatalf("age -d gave %s (%v)", plain, err)
	}
}
