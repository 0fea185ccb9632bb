package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/intakehq/intake/internal/e2e"
	"github.com/intakehq/intake/internal/server/servertest"
)

// TestE2EImport (issue 17): an end-to-end encrypted importer takes only
// age ciphertext with its counts, refuses plaintext chunks, stores the
// ciphertext sealed once more (neither the canary nor the age payload is in
// the data folder or the logs), downloads as a .age bundle that the team's
// identity opens to exactly the rows sent, keeps the recipients an import
// was made with when the importer's change, and refuses a PostgreSQL
// destination.
func TestE2EImport(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	id, _ := age.GenerateX25519Identity()
	tmpl := json.RawMessage(`{"columns":[{"key":"a","type":"text"},{"key":"b","type":"text"},{"key":"c","type":"text"}]}`)
	for _, c := range []struct {
		recipients []string
		want       string
	}{
		{nil, "an e2e importer needs 1 to 16 recipients"},
		{[]string{"age1notakey"}, "recipients[0] is not an age X25519 public key"},
		{[]string{id.Recipient().String(), id.Recipient().String()}, "recipients[1] repeats a key"},
	} {
		var raw json.RawMessage
		code := env.Do(t, "POST", "/api/v1/importers", env.APIKey, map[string]any{"name": "e2e", "template": tmpl, "mode": "e2e",
			"recipients": c.recipients}, &raw)
		if code != 400 || !strings.Contains(string(raw), `"bad_recipients"`) || !strings.Contains(string(raw), c.want) {
			t.Fatalf("recipients %v: %d %s", c.recipients, code, raw)
		}
	}
	var im struct {
		ID, Key    string
		Recipients []string
	}
	if code := env.Do(t, "POST", "/api/v1/importers", env.APIKey, map[string]any{"name": "e2e", "template": tmpl, "mode": "e2e",
		"recipients": []string{id.Recipient().String()}}, &im); code != 201 || len(im.Recipients) != 1 {
		t.Fatalf("create e2e importer: %d %+v", code, im)
	}
	var raw json.RawMessage
	if code := env.Do(t, "POST", "/api/v1/importers/"+im.ID+"/destinations", env.APIKey, map[string]any{"type": "postgres",
		"url": "postgres://x@127.0.0.1:1/x", "table": "t"}, &raw); code != 400 || !strings.Contains(string(raw), "cannot deliver to PostgreSQL") {
		t.Fatalf("postgres destination for e2e: %d %s", code, raw)
	}

	const canary = "CANARY-e2e-7f3a9c"
	sent := e2e.Chunk{FirstRow: 0, Columns: []string{"a", "b", "c"}, Rows: [][]*string{{ptr(canary), nil, ptr("x")}, {ptr("y"), ptr(canary + "2"), nil}}}
	ct, err := e2e.Seal(sent, id.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	code, up, body := newUpload(t, env, im.Key, 2)
	if code != http.StatusCreated {
		t.Fatalf("create upload: %d %s", code, body)
	}
	put := func(query string, b []byte) answer {
		return sendChunkQuery(t, env, up, 0, query, bytes.NewReader(b))
	}
	for _, c := range []struct {
		query string
		body  []byte
		want  answer
	}{
		{"", []byte(`{"first_row":0,"rows":[["a","b","c"]]}`), answer{400, "", "encryption_required", "this import is end-to-end encrypted: send chunk 0 as age ciphertext with first_row and rows"}},
		{"?first_row=0&rows=2", []byte(`{"first_row":0,"rows":[]}`), answer{400, "", "not_age_ciphertext", "chunk 0 is not a binary age file"}},
		{"?first_row=0&rows=3", ct, answer{400, "", "rows_out_of_range", "chunk 0 holds rows past the 2 announced"}},
		{"?first_row=0&rows=x", ct, answer{400, "", "bad_chunk_counts", "an encrypted chunk needs integer first_row and rows query parameters"}},
		{"?first_row=0&rows=2", ct, answer{200, "", "", ""}},
		{"?first_row=0&rows=2", ct, answer{200, "", "", ""}}, // a retry
		{"?first_row=0&rows=1", ct, answer{409, "", "chunk_conflict", "chunk 0 is already stored with different content"}},
	} {
		if got := put(c.query, c.body); got != c.want {
			t.Fatalf("PUT %s: %+v, want %+v", c.query, got, c.want)
		}
	}
	if code := env.Do(t, "POST", "/api/v1/uploads/"+up.ImportID+"/complete", up.UploadToken, map[string]any{"chunks": 1, "rows": 2}, &raw); code != 200 {
		t.Fatalf("complete: %d %s", code, raw)
	}
	var got struct {
		Rows       int64
		Recipients []string
	}
	env.Do(t, "GET", "/api/v1/imports/"+up.ImportID, env.APIKey, nil, &got)
	if got.Rows != 2 || !reflect.DeepEqual(got.Recipients, im.Recipients) {
		t.Fatalf("import: %+v", got)
	}

	// The bundle opens to exactly the rows sent.
	req, _ := http.NewRequest("GET", env.URL+"/api/v1/imports/"+up.ImportID+"/download", nil)
	req.Header.Set("Authorization", "Bearer "+env.APIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	bundle, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), up.ImportID+".age.jsonl") {
		t.Fatalf("download: %d %s", resp.StatusCode, resp.Header)
	}
	var opened []e2e.Chunk
	if err := e2e.Payloads(bytes.NewReader(bundle), func(p []byte) error {
		c, err := e2e.Open(p, id)
		opened = append(opened, c)
		return err
	}); err != nil || len(opened) != 1 || !reflect.DeepEqual(opened[0], sent) {
		t.Fatalf("bundle: %v %+v", err, opened)
	}
	if bytes.Contains(bundle, []byte(canary)) {
		t.Fatal("the bundle holds the canary in the clear")
	}
	// Neither the canary nor a fragment of the ciphertext is at rest or logged.
	fragment := ct[len(ct)-64:]
	_ = filepath.WalkDir(env.DataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile(path)
		if bytes.Contains(b, []byte(canary)) || bytes.Contains(b, fragment) {
			t.Errorf("%s holds the canary or the age ciphertext", path)
		}
		return nil
	})
	if logs := env.Logs.String(); strings.Contains(logs, canary) {
		t.Error("the logs hold the canary")
	}

	// Rotation: new imports take the new list, the old one keeps its own.
	other, _ := age.GenerateX25519Identity()
	if code := env.Do(t, "PATCH", "/api/v1/importers/"+im.ID, env.APIKey, map[string]any{"recipients": []string{other.Recipient().String()}}, &raw); code != 200 {
		t.Fatalf("rotate: %d %s", code, raw)
	}
	_, up2, _ := newUpload(t, env, im.Key, 2)
	var second struct{ Recipients []string }
	env.Do(t, "GET", "/api/v1/imports/"+up2.ImportID, env.APIKey, nil, &second)
	env.Do(t, "GET", "/api/v1/imports/"+up.ImportID, env.APIKey, nil, &got)
	if !reflect.DeepEqual(second.Recipients, []string{other.Recipient().String()}) || !reflect.DeepEqual(got.Recipients, im.Recipients) {
		t.Fatalf("after rotation: new %v, old %v", second.Recipients, got.Recipients)
	}
}

func ptr(s string) *string { return &s }

func sendChunkQuery(t *testing.T, env *servertest.Env, up upload, n int, query string, body io.Reader) answer {
	t.Helper()
	req, _ := http.NewRequest("PUT", fmt.Sprintf("%s/api/v1/uploads/%s/chunks/%d%s", env.URL, up.ImportID, n, query), body)
	req.Header.Set("Authorization", "Bearer "+up.UploadToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct {
		Error struct{ Code, Message string }
	}
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &e)
	return answer{resp.StatusCode, resp.Header.Get("Retry-After"), e.Error.Code, e.Error.Message}
}

// TestModeRefusedForItsDestinations (issue 17): an importer cannot be
// switched to e2e while it has a PostgreSQL destination (the server would
// have no rows to give it), nor to bypass while it has a sink: 409
// destination_conflict naming the destination, and the importer keeps its
// mode. S3 and webhooks suit e2e; once the destination is gone the switch
// is taken.
func TestModeRefusedForItsDestinations(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	id, _ := age.GenerateX25519Identity()
	tmpl := json.RawMessage(`{"columns":[{"key":"a","type":"text"}]}`)
	e2eMode := map[string]any{"mode": "e2e", "recipients": []string{id.Recipient().String()}}
	for _, c := range []struct {
		name   string
		dest   map[string]any
		change map[string]any
		code   int
	}{
		{"e2e with postgres", map[string]any{"type": "postgres", "url": "postgres://app@db.example.com/app", "table": "t"}, e2eMode, 409},
		{"bypass with postgres", map[string]any{"type": "postgres", "url": "postgres://app@db.example.com/app", "table": "t"}, map[string]any{"mode": "bypass"}, 409},
		{"bypass with s3", map[string]any{"type": "s3", "bucket": "b"}, map[string]any{"mode": "bypass"}, 409},
		{"e2e with s3", map[string]any{"type": "s3", "bucket": "b"}, e2eMode, 200},
		{"e2e with a webhook", map[string]any{"type": "webhook", "url": "https://hooks.example.com/intake"}, e2eMode, 200},
	} {
		t.Run(c.name, func(t *testing.T) {
			var im struct{ ID, Mode string }
			if code := env.Do(t, "POST", "/api/v1/importers", env.APIKey, map[string]any{"name": c.name, "template": tmpl}, &im); code != 201 {
				t.Fatalf("create importer: %d", code)
			}
			var dest struct{ ID string }
			if code := env.Do(t, "POST", "/api/v1/importers/"+im.ID+"/destinations", env.APIKey, c.dest, &dest); code != 201 {
				t.Fatalf("create destination: %d", code)
			}
			var raw json.RawMessage
			code := env.Do(t, "PATCH", "/api/v1/importers/"+im.ID, env.APIKey, c.change, &raw)
			if code != c.code {
				t.Fatalf("switch: %d %s, want %d", code, raw, c.code)
			}
			if code == 200 {
				return
			}
			if !strings.Contains(string(raw), `"destination_conflict"`) || !strings.Contains(string(raw), dest.ID) {
				t.Fatalf("refusal %s does not give its code or name the destination", raw)
			}
			env.Do(t, "GET", "/api/v1/importers/"+im.ID, env.APIKey, nil, &im)
			if im.Mode != "stored" {
				t.Fatalf("mode %q after a refused switch", im.Mode)
			}
			if code := env.Do(t, "DELETE", "/api/v1/importers/"+im.ID+"/destinations/"+dest.ID, env.APIKey, nil, nil); code != 204 {
				t.Fatalf("delete destination: %d", code)
			}
			if code := env.Do(t, "PATCH", "/api/v1/importers/"+im.ID, env.APIKey, c.change, &raw); code != 200 {
				t.Fatalf("switch without the destination: %d %s", code, raw)
			}
		})
	}
}
