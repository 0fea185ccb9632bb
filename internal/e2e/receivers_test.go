package e2e_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/intakehq/intake/internal/e2e"
)

// docReceiver is the first code block in lang of docs/e2e.md's "Webhook
// envelope" section: the receivers the docs give teams to copy.
func docReceiver(t *testing.T, lang string) string {
	t.Helper()
	doc, err := os.ReadFile("../../docs/e2e.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(doc), "\n## Webhook envelope\n")
	section, _, _ = strings.Cut(section, "\n## ")
	m := regexp.MustCompile("(?s)```" + lang + "\n(.*?)```").FindStringSubmatch(section)
	if m == nil {
		t.Fatalf("docs/e2e.md, Webhook envelope: no %s block", lang)
	}
	return m[1]
}

// TestDocReceiversOpen (issue 17): the Go and Node receivers of
// docs/e2e.md, run as written, open webhook envelopes of both kinds of
// chunk the widget sends (gzip'd JSON on a slow link, JSON as it is on a
// fast one) to the chunk sealed.
func TestDocReceiversOpen(t *testing.T) {
	t.Parallel()
	id, _ := age.GenerateX25519Identity()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "team-key.txt"), []byte("# created: by the test\n"+id.String()+"\n"), 0o600)
	want := e2e.Chunk{FirstRow: 10, Columns: []string{"name", "note"}, Rows: [][]*string{{s("Zoë \"q\"\n"), nil}, {s("b"), s("ünï")}}}
	bodies := map[string][]byte{}
	for name, seal := range map[string]func(e2e.Chunk, ...age.Recipient) ([]byte, error){"gzip'd": e2e.Seal, "as it is": e2e.SealJSON} {
		ct, err := seal(want, id.Recipient())
		if err != nil {
			t.Fatal(err)
		}
		bodies[name], _ = json.Marshal(e2e.Envelope{ImportID: "imt_1", Batch: json.RawMessage(`{"index":0}`), Ciphertext: ct})
	}
	receivers := map[string][]string{"go": {buildGoReceiver(t, dir)}}
	if node, ok := nodeReceiver(t, dir); ok {
		receivers["node"] = []string{node, filepath.Join(dir, "main.mjs")}
	}
	for lang, argv := range receivers {
		for name, body := range bodies {
			cmd := exec.Command(argv[0], argv[1:]...)
			cmd.Dir = dir
			cmd.Stdin = bytes.NewReader(body)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%s receiver, chunk %s: %v: %s", lang, name, err, stderr.String())
			}
			var got e2e.Chunk
			if err := json.Unmarshal(out, &got); err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("%s receiver, chunk %s: %s (%v)", lang, name, out, err)
			}
		}
	}
}

// buildGoReceiver builds the docs' Go receiver, with a main that opens the
// envelope on stdin and prints the chunk as JSON, in this module (for
// filippo.io/age) through a build overlay, so nothing is written to the
// source tree.
func buildGoReceiver(t *testing.T, dir string) string {
	t.Helper()
	pkg, _ := filepath.Abs("testdata/docreceiver")
	files := map[string]string{
		"receiver.go": "package main\n\n" + docReceiver(t, "go"),
		"main.go": `package main

import ("encoding/json"; "fmt"; "io"; "os")

func main() {
	body, _ := io.ReadAll(os.Stdin)
	c, err := open(body)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	json.NewEncoder(os.Stdout).Encode(c)
}
`,
	}
	overlay := map[string]map[string]string{"Replace": {}}
	for name, text := range files {
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(text), 0o600)
		overlay["Replace"][filepath.Join(pkg, name)] = path
	}
	o, _ := json.Marshal(overlay)
	os.WriteFile(filepath.Join(dir, "overlay.json"), o, 0o600)
	bin := filepath.Join(dir, "go-receiver")
	cmd := exec.Command("go", "build", "-overlay", filepath.Join(dir, "overlay.json"), "-o", bin, pkg)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build of the docs' Go receiver: %v: %s", err, out)
	}
	return bin
}

// nodeReceiver writes the docs' Node receiver with a main that opens the
// envelope on stdin, the widget's node_modules (age-encryption) beside
// them. Without node or those modules it is skipped (not in CI).
func nodeReceiver(t *testing.T, dir string) (string, bool) {
	t.Helper()
	node, err := exec.LookPath("node")
	modules, _ := filepath.Abs("../../web/widget/node_modules")
	if _, serr := os.Stat(filepath.Join(modules, "age-encryption")); err != nil || serr != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("node or the widget's node_modules (npm ci in web/widget) is missing in CI")
		}
		t.Log("node or web/widget/node_modules missing: the Node receiver is not checked")
		return "", false
	}
	os.Symlink(modules, filepath.Join(dir, "node_modules"))
	os.WriteFile(filepath.Join(dir, "receiver.mjs"), []byte(docReceiver(t, "js")), 0o600)
	os.WriteFile(filepath.Join(dir, "main.mjs"), []byte(`import { readFileSync } from "node:fs";
import { open } from "./receiver.mjs";
process.stdout.write(JSON.stringify(await open(readFileSync(0, "utf8"))));
`), 0o600)
	return node, true
}
