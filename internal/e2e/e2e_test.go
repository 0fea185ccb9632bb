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
// envelope, a bundle of JSON lines) each yield their age payloads, which
// open whether their JSON is gzip'd (Seal) or not (SealJSON); other input
// is refused.
func TestPayloads(t *testing.T) {
	t.Parallel()
	id, _ := age.GenerateX25519Identity()
	c0 := e2e.Chunk{FirstRow: 0, Columns: []string{"a"}, Rows: [][]*string{{s("1")}, {nil}}}
	c1 := e2e.Chunk{FirstRow: 2, Columns: []string{"a"}, Rows: [][]*string{{s("é\"\n")}}}
	p0, _ := e2e.Seal(c0, id.Recipient())
	p1, _ := e2e.SealJSON(c1, id.Recipient())
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
		{"age file of JSON", p1, []e2e.Chunk{c1}, ""},
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

// TestAgeCommandOpensSeal: what Seal and SealJSON write (the widget's
// formats: gzip then age, or age of the JSON) the age command-line tool
// opens with an identity file, to gzip'd JSON or JSON. CI installs the
// Debian package age; elsewhere the test skips and says so.
func TestAgeCommandOpensSeal(t *testing.T) {
	t.Parallel()
	bin := ageCommand(t)
	id, _ := age.GenerateX25519Identity()
	key := filepath.Join(t.TempDir(), "key.txt")
	os.WriteFile(key, []byte(id.String()+"\n"), 0o600)
	c := e2e.Chunk{FirstRow: 5, Columns: []string{"a", "b"}, Rows: [][]*string{{s("x"), nil}}}
	for _, sc := range []struct {
		name string
		seal func(e2e.Chunk, ...age.Recipient) ([]byte, error)
		gzip bool
	}{{"Seal", e2e.Seal, true}, {"SealJSON", e2e.SealJSON, false}} {
		p, _ := sc.seal(c, id.Recipient())
		cmd := exec.Command(bin, "-d", "-i", key)
		cmd.Stdin = bytes.NewReader(p)
		plain, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: age -d: %v", sc.name, err)
		}
		if sc.gzip {
			gz, err := gzip.NewReader(bytes.NewReader(plain))
			if err != nil {
				t.Fatalf("%s: %v", sc.name, err)
			}
			plain, _ = io.ReadAll(gz)
		}
		var got e2e.Chunk
		if err := json.Unmarshal(plain, &got); err != nil || !reflect.DeepEqual(got, c) {
			t.Fatalf("%s: age -d gave %s (%v)", sc.name, plain, err)
		}
	}
}

// ageCommand is the age command-line tool's path. CI installs the Debian
// package age; elsewhere a test that needs it skips and says so.
func ageCommand(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("age")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("the age command is missing in CI (.ci/run installs the Debian package age)")
		}
		t.Skip("the age command is not installed (apt-get install -y age); CI runs this test")
	}
	return bin
}
