package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/intakehq/intake/internal/server/servertest"
)

// TestBadInput: every malformed request gets a 4xx JSON error with a code,
// and leaves nothing stored.
func TestBadInput(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{Configure: nil})
	im := createImporter(t, env, env.APIKey, map[string]any{"max_rows": 1000})
	cols := []string{"name", "email", "amount"}
	up := createUpload(t, env, im.Key, cols, 10)
	other := createUpload(t, env, im.Key, cols, 10)
	done := createUpload(t, env, im.Key, cols, 1)
	putChunk(t, env, done, 0, chunkBody(0, makeRows(1, "d")), false)
	env.Do(t, "POST", "/api/v1/uploads/"+done.ImportID+"/complete", done.UploadToken, map[string]any{"chunks": 1, "rows": 1}, nil)
	deleted := createImporter(t, env, env.APIKey, nil)
	env.Do(t, "DELETE", "/api/v1/importers/"+deleted.ID, env.APIKey, nil, nil)

	bomb := gz(bytes.Repeat([]byte(" "), 80<<20)) // 80 MiB of spaces: past the inflate bound
	chunk := func(n string) string { return "/api/v1/uploads/" + up.ImportID + "/chunks/" + n }
	valid := chunkBody(0, makeRows(2, "v"))
	cases := []struct {
		name, method, path, token string
		body                      []byte
		header                    map[string]string
		status                    int
		code                      string
	}{
		{"malformed create JSON", "POST", "/api/v1/uploads", "", []byte(`{"importer":`), nil, 400, "bad_json"},
		{"wrong type", "POST", "/api/v1/uploads", "", []byte(`{"importer":"` + im.Key + `","columns":["name"],"source":{"format":"csv","size_bytes":1},"rows":"ten"}`), nil, 400, "bad_json"},
		{"unknown field", "POST", "/api/v1/uploads", "", []byte(`{"importer":"` + im.Key + `","file_name":"x.csv"}`), nil, 400, "bad_json"},
		{"unknown importer", "POST", "/api/v1/uploads", "", mustJSON(map[string]any{"importer": "imp_nope", "columns": cols, "source": map[string]any{"format": "csv"}, "rows": 1}), nil, 404, "unknown_importer"},
		{"deleted importer", "POST", "/api/v1/uploads", "", mustJSON(map[string]any{"importer": deleted.Key, "columns": cols, "source": map[string]any{"format": "csv"}, "rows": 1}), nil, 404, "unknown_importer"},
		{"unknown column", "POST", "/api/v1/uploads", "", mustJSON(map[string]any{"importer": im.Key, "columns": []string{"nope"}, "source": map[string]any{"format": "csv"}, "rows": 1}), nil, 400, "bad_columns"},
		{"repeated column", "POST", "/api/v1/uploads", "", mustJSON(map[string]any{"importer": im.Key, "columns": []string{"name", "name"}, "source": map[string]any{"format": "csv"}, "rows": 1}), nil, 400, "bad_columns"},
		{"bad format", "POST", "/api/v1/uploads", "", mustJSON(map[string]any{"importer": im.Key, "columns": cols, "source": map[string]any{"format": "exe"}, "rows": 1}), nil, 400, "bad_source"},
		{"too many rows", "POST", "/api/v1/uploads", "", mustJSON(map[string]any{"importer": im.Key, "columns": cols, "source": map[string]any{"format": "csv"}, "rows": 1001}), nil, 413, "too_many_rows"},
		{"negative rows", "POST", "/api/v1/uploads", "", mustJSON(map[string]any{"importer": im.Key, "columns": cols, "source": map[string]any{"format": "csv"}, "rows": -1}), nil, 400, "too_many_rows"},
		{"create body too large", "POST", "/api/v1/uploads", "", bytes.Repeat([]byte(" "), 70<<10), nil, 413, "body_too_large"},
		{"no token", "PUT", chunk("0"), "", valid, nil, 401, "bad_upload_token"},
		{"bad token", "PUT", chunk("0"), "upt_wrong", valid, nil, 401, "bad_upload_token"},
		{"token of another import", "PUT", chunk("0"), other.UploadToken, valid, nil, 401, "bad_upload_token"},
		{"unknown import", "PUT", "/api/v1/uploads/imt_nope/chunks/0", up.UploadToken, valid, nil, 401, "bad_upload_token"},
		{"negative chunk", "PUT", chunk("-1"), up.UploadToken, valid, nil, 400, "bad_chunk_number"},
		{"huge chunk number", "PUT", chunk("99999999999999999999"), up.UploadToken, valid, nil, 400, "bad_chunk_number"},
		{"not a number", "PUT", chunk("x"), up.UploadToken, valid, nil, 400, "bad_chunk_number"},
		{"malformed chunk", "PUT", chunk("0"), up.UploadToken, []byte(`{"first_row":0,"rows":[["a"`), nil, 400, "malformed_chunk"},
		{"wrong width", "PUT", chunk("0"), up.UploadToken, chunkBody(0, [][]*string{{s("a")}}), nil, 400, "malformed_chunk"},
		{"number cell", "PUT", chunk("0"), up.UploadToken, []byte(`{"first_row":0,"rows":[["a","b",3]]}`), nil, 400, "malformed_chunk"},
		{"rows past announced", "PUT", chunk("0"), up.UploadToken, chunkBody(9, makeRows(2, "p")), nil, 400, "rows_out_of_range"},
		{"bad gzip", "PUT", chunk("0"), up.UploadToken, []byte("not gzip"), map[string]string{"Content-Encoding": "gzip"}, 400, "bad_gzip"},
		{"gzip bomb", "PUT", chunk("0"), up.UploadToken, bomb, map[string]string{"Content-Encoding": "gzip"}, 413, "chunk_too_large"},
		{"over max_chunk_bytes", "PUT", chunk("0"), up.UploadToken, bytes.Repeat([]byte(" "), 9<<20), nil, 413, "chunk_too_large"},
		{"unknown encoding", "PUT", chunk("0"), up.UploadToken, valid, map[string]string{"Content-Encoding": "br"}, 415, "bad_encoding"},
		{"chunk after completion", "PUT", "/api/v1/uploads/" + done.ImportID + "/chunks/1", done.UploadToken, valid, nil, 409, "import_not_uploading"},
		{"complete with chunks missing", "POST", "/api/v1/uploads/" + up.ImportID + "/complete", up.UploadToken, []byte(`{"chunks":3,"rows":10}`), nil, 409, "chunks_missing"},
		{"complete negative", "POST", "/api/v1/uploads/" + up.ImportID + "/complete", up.UploadToken, []byte(`{"chunks":-1,"rows":10}`), nil, 400, "bad_request"},
		{"management without key", "GET", "/api/v1/importers", "", nil, nil, 401, "unauthorized"},
		{"management with bad key", "GET", "/api/v1/importers", "ik_nope", nil, nil, 401, "unauthorized"},
		{"bad template", "POST", "/api/v1/importers", env.APIKey, []byte(`{"name":"x","template":{"columns":[{"key":"a","type":"warp"}]}}`), nil, 400, "bad_template"},
		{"bad mode", "POST", "/api/v1/importers", env.APIKey, []byte(`{"name":"x","mode":"yolo","template":` + testTemplate + `}`), nil, 400, "bad_importer"},
		{"bad origin", "POST", "/api/v1/importers", env.APIKey, []byte(`{"name":"x","allowed_origins":["https://a.example/path"],"template":` + testTemplate + `}`), nil, 400, "bad_importer"},
		{"bad retention", "POST", "/api/v1/importers", env.APIKey, []byte(`{"name":"x","retention_days":0,"template":` + testTemplate + `}`), nil, 400, "bad_importer"},
		{"bad limit", "GET", "/api/v1/imports?limit=0", env.APIKey, nil, nil, 400, "bad_parameter"},
		{"bad cursor", "GET", "/api/v1/imports?cursor=bm9wZQ", env.APIKey, nil, nil, 400, "bad_parameter"},
		{"bad log limit", "GET", "/api/v1/imports/" + up.ImportID + "/log?limit=1001", env.APIKey, nil, nil, 400, "bad_parameter"},
		{"bad log after", "GET", "/api/v1/imports/" + up.ImportID + "/log?after=-1", env.APIKey, nil, nil, 400, "bad_parameter"},
		{"unknown route", "GET", "/api/v1/nothing", "", nil, nil, 404, "not_found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, env.URL+c.path, bytes.NewReader(c.body))
			if c.token != "" {
				req.Header.Set("Authorization", "Bearer "+c.token)
			}
			for k, v := range c.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var e struct {
				Error struct {
					Code    string `json:"code"`
					Message string `json:"message"`
				} `json:"error"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
				t.Fatalf("status %d, body is not a JSON error: %v", resp.StatusCode, err)
			}
			if resp.StatusCode != c.status || e.Error.Code != c.code || e.Error.Message == "" {
				t.Fatalf("got %d %q (%s), want %d %q", resp.StatusCode, e.Error.Code, e.Error.Message, c.status, c.code)
			}
		})
	}
	// Nothing was stored for the import that took only bad requests.
	var st struct {
		Chunks []int `json:"chunks"`
	}
	env.Do(t, "GET", "/api/v1/uploads/"+up.ImportID, up.UploadToken, nil, &st)
	if len(st.Chunks) != 0 {
		t.Fatalf("bad requests left chunks %v", st.Chunks)
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// TestTenantIsolation: an API key of organization B gets 404 on every
// resource of organization A, and sees none of it in lists.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	_, keyB := env.NewOrg(t, "org-b")
	im := createImporter(t, env, env.APIKey, nil)
	up := createUpload(t, env, im.Key, []string{"name", "email", "amount"}, 1)
	putChunk(t, env, up, 0, chunkBody(0, makeRows(1, "iso")), false)
	for _, r := range []struct{ method, path string }{
		{"GET", "/api/v1/importers/" + im.ID},
		{"PATCH", "/api/v1/importers/" + im.ID},
		{"DELETE", "/api/v1/importers/" + im.ID},
		{"GET", "/api/v1/importers/" + im.ID + "/learned"},
		{"DELETE", "/api/v1/importers/" + im.ID + "/learned"},
		{"GET", "/api/v1/imports/" + up.ImportID},
		{"GET", "/api/v1/imports/" + up.ImportID + "/rows"},
		{"GET", "/api/v1/imports/" + up.ImportID + "/log"},
	} {
		var body any
		if r.method == "PATCH" {
			body = map[string]any{"name": "stolen"}
		}
		if code := env.Do(t, r.method, r.path, keyB, body, nil); code != http.StatusNotFound {
			t.Errorf("%s %s with org B's key: %d, want 404", r.method, r.path, code)
		}
	}
	var list struct {
		Importers []any `json:"importers"`
		Imports   []any `json:"imports"`
	}
	env.Do(t, "GET", "/api/v1/importers", keyB, nil, &list)
	env.Do(t, "GET", "/api/v1/imports", keyB, nil, &list)
	if len(list.Importers)+len(list.Imports) != 0 {
		t.Fatalf("org B lists org A's data: %+v", list)
	}
	// Org A still sees its importer unchanged.
	var got struct{ Name string }
	env.Do(t, "GET", "/api/v1/importers/"+im.ID, env.APIKey, nil, &got)
	if got.Name != "Customers" {
		t.Fatalf("org A's importer changed: %q", got.Name)
	}
}

// TestImportersAPI covers create, list, get, patch, delete and paging of imports.
func TestImportersAPI(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	im := createImporter(t, env, env.APIKey, map[string]any{"allowed_origins": []string{"https://app.example.com"}})
	var got map[string]any
	env.Do(t, "PATCH", "/api/v1/importers/"+im.ID, env.APIKey, map[string]any{"retention_days": 7, "allow_invalid": true}, &got)
	if got["retention_days"] != 7.0 || got["allow_invalid"] != true || got["name"] != "Customers" || got["mode"] != "stored" {
		t.Fatalf("patched importer %v", got)
	}
	for i := range 5 {
		createUpload(t, env, im.Key, []string{"name"}, i)
	}
	var seen []string
	cursor := ""
	for range 10 {
		var page struct {
			Imports []struct {
				ID string `json:"id"`
			} `json:"imports"`
			Next string `json:"next_cursor"`
		}
		env.Do(t, "GET", "/api/v1/imports?limit=2&importer="+im.ID+"&cursor="+cursor, env.APIKey, nil, &page)
		for _, p := range page.Imports {
			seen = append(seen, p.ID)
		}
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	if len(seen) != 5 || strings.Join(dedupe(seen), ",") != strings.Join(seen, ",") {
		t.Fatalf("paged imports %v", seen)
	}
	if code := env.Do(t, "DELETE", "/api/v1/importers/"+im.ID, env.APIKey, nil, nil); code != http.StatusNoContent {
		t.Fatalf("delete: %d", code)
	}
	if code := env.Do(t, "GET", "/api/v1/importers/"+im.ID, env.APIKey, nil, nil); code != http.StatusNotFound {
		t.Fatalf("get deleted: %d", code)
	}
}

func dedupe(ids []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
