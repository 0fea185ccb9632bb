package e2e_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"filippo.io/age"

	"github.com/intakehq/intake/internal/e2e"
)

// widgetSeal bundles the widget's own encodeSpan (web/widget/src/upload)
// with esbuild and runs it in node: the chunks it would upload for rows,
// encrypted to recipient, as the server receives them, their JSON cut at
// maxBytes and gzip'd or not as on a slow or a fast link.
func widgetSeal(t *testing.T, recipient string, columns []string, rows [][]*string, maxBytes int, gzip bool) []e2e.BundleEntry {
	t.Helper()
	node, err := exec.LookPath("node")
	widget, _ := filepath.Abs("../../web/widget")
	if _, serr := os.Stat(filepath.Join(widget, "node_modules", "age-encryption")); err != nil || serr != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("node or the widget's node_modules (npm ci in web/widget) is missing in CI")
		}
		t.Skip("needs node and web/widget/node_modules (npm ci in web/widget)")
	}
	in, _ := json.Marshal(map[string]any{"recipient": recipient, "columns": columns, "rows": rows, "maxBytes": maxBytes, "gzip": gzip})
	entry := `import { encodeSpan } from "./src/upload/upload.ts";
const input = JSON.parse(process.env.INTAKE_E2E_INPUT);
const chunks = await encodeSpan((i) => input.rows[i], 0, input.rows.length, { maxBytes: input.maxBytes, seal: { recipients: [input.recipient], columns: input.columns }, gzip: input.gzip });
console.log(JSON.stringify(chunks.map((c) => ({ first_row: c.first, rows: c.count, ciphertext: Buffer.from(c.body).toString("base64") }))));`
	out := filepath.Join(t.TempDir(), "seal.mjs")
	script := `import { build } from "esbuild";
await build({ stdin: { contents: process.env.INTAKE_E2E_ENTRY, resolveDir: process.cwd(), loader: "ts" }, bundle: true, platform: "node", format: "esm", outfile: process.env.INTAKE_E2E_OUT, logLevel: "error" });
await import(process.env.INTAKE_E2E_OUT);`
	cmd := exec.Command(node, "--input-type=module", "-e", script)
	cmd.Dir = widget
	cmd.Env = append(os.Environ(), "INTAKE_E2E_ENTRY="+entry, "INTAKE_E2E_OUT="+out, "INTAKE_E2E_INPUT="+string(in))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v: %s", err, stderr.String())
	}
	var entries []e2e.BundleEntry
	if err := json.Unmarshal(stdout, &entries); err != nil {
		t.Fatalf("node output: %v", err)
	}
	return entries
}

// TestWidgetPayloadsOpen (issue 17): chunks the widget encrypts, their
// JSON gzip'd (a slow link) or not (a fast one), open with filippo.io/age
// (e2e.Open, what intake decrypt runs) and with the age command-line tool,
// to exactly the rows and columns encoded, and a chunk's first_row and rows
// (what the server is told) match its content.
func TestWidgetPayloadsOpen(t *testing.T) {
	t.Parallel()
	id, _ := age.GenerateX25519Identity()
	columns := []string{"name", "note"}
	var rows [][]*string
	for i := range 12 {
		rows = append(rows, [][]*string{{s("Zoë " + string(rune('a'+i))), nil}, {s("CANARY-\"quoted\"\n"), s("ünï")}}[i%2])
	}
	key := filepath.Join(t.TempDir(), "key.txt")
	os.WriteFile(key, []byte(id.String()+"\n"), 0o600)
	ageBin, ageErr := exec.LookPath("age")
	for _, link := range []struct {
		name     string
		maxBytes int
		gzip     bool
		magic    []byte
	}{
		// 300 bytes: less than age's overhead, so the JSON is cut at a row a chunk.
		{"slow link", 300, true, []byte{0x1f, 0x8b}},
		{"fast link", 500, false, []byte(`{"columns":`)},
	} {
		entries := widgetSeal(t, id.Recipient().String(), columns, rows, link.maxBytes, link.gzip)
		if len(entries) < 2 {
			t.Fatalf("%s: %d chunks; the %d-byte bound should cut several", link.name, len(entries), link.maxBytes)
		}
		var got [][]*string
		for i, e := range entries {
			c, err := e2e.Open(e.Ciphertext, id)
			if err != nil {
				t.Fatalf("%s: chunk %d: %v", link.name, i, err)
			}
			if c.FirstRow != e.FirstRow || len(c.Rows) != e.Rows || !reflect.DeepEqual(c.Columns, columns) || int64(len(got)) != c.FirstRow {
				t.Fatalf("%s: chunk %d: first_row %d rows %d columns %v, told %d %d", link.name, i, c.FirstRow, len(c.Rows), c.Columns, e.FirstRow, e.Rows)
			}
			got = append(got, c.Rows...)
			if ageErr == nil {
				cmd := exec.Command(ageBin, "-d", "-i", key)
				cmd.Stdin = bytes.NewReader(e.Ciphertext)
				if out, err := cmd.Output(); err != nil || !bytes.HasPrefix(out, link.magic) {
					t.Fatalf("%s: age -d chunk %d: %v (starts %q, want %q)", link.name, i, err, out[:min(len(link.magic), len(out))], link.magic)
				}
			}
		}
		if !reflect.DeepEqual(got, rows) {
			t.Fatalf("%s: the rows decrypted differ from the rows encoded", link.name)
		}
	}
	if ageErr != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("the age command is missing in CI")
		}
		t.Log("age command not installed: checked with filippo.io/age only")
	}
}
