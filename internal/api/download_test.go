package api_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/intakehq/intake/internal/server/servertest"
)

func str(v string) *string { return &v }

// TestDownload uploads rows through the upload API and downloads them back
// in each format with an API key: same rows, formulas neutralized in CSV and
// XLSX, another organization's key gets 404.
func TestDownload(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	var im struct{ Key string }
	tmpl := json.RawMessage(`{"columns":[{"key":"name","type":"text"},{"key":"note","type":"text"}]}`)
	if code := env.Do(t, "POST", "/api/v1/importers", env.APIKey, map[string]any{"name": "dl", "template": tmpl}, &im); code != 201 {
		t.Fatalf("create importer: %d", code)
	}
	rows := [][]*string{{str("Zoë"), str(`=1+2";=1+2`)}, {str("a,b"), nil}, {str("@SUM(A1)"), str("-3.5")}}
	var up struct {
		ImportID    string `json:"import_id"`
		UploadToken string `json:"upload_token"`
	}
	env.Do(t, "POST", "/api/v1/uploads", "", map[string]any{"importer": im.Key, "columns": []string{"name", "note"},
		"source": map[string]any{"format": "csv", "size_bytes": 10}, "rows": len(rows)}, &up)
	body, _ := json.Marshal(map[string]any{"first_row": 0, "rows": rows})
	req, _ := http.NewRequest("PUT", env.URL+"/api/v1/uploads/"+up.ImportID+"/chunks/0", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+up.UploadToken)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("chunk: %v %v", resp, err)
	}
	if code := env.Do(t, "POST", "/api/v1/uploads/"+up.ImportID+"/complete", up.UploadToken, map[string]any{"chunks": 1, "rows": 3}, nil); code != 200 {
		t.Fatalf("complete: %d", code)
	}
	want := [][]string{{"name", "note"}, {"Zoë", `'=1+2";=1+2`}, {"a,b", ""}, {"'@SUM(A1)", "-3.5"}}

	get := func(format, key string) (int, http.Header, []byte) {
		req, _ := http.NewRequest("GET", env.URL+"/api/v1/imports/"+up.ImportID+"/download?format="+format, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, b
	}
	code, h, b := get("csv", env.APIKey)
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") || !strings.Contains(h.Get("Content-Disposition"), "attachment") {
		t.Fatalf("csv: %d %v", code, h)
	}
	if !strings.Contains(string(b), `"'=1+2"";=1+2"`) {
		t.Fatalf("OWASP vector not escaped in %q", b)
	}
	got, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("csv rows %q, %v", got, err)
	}

	code, _, b = get("xlsx", env.APIKey)
	if code != 200 {
		t.Fatalf("xlsx: %d", code)
	}
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	xr, _ := f.GetRows("Sheet1")
	want[2] = want[2][:1] // excelize drops a row's trailing empty cells
	if fmt.Sprint(xr) != fmt.Sprint(want) {
		t.Fatalf("xlsx rows %q", xr)
	}

	code, _, b = get("jsonl", env.APIKey)
	if code != 200 || !strings.HasPrefix(string(b), `{"name":"Zoë","note":"=1+2\";=1+2"}`+"\n") {
		t.Fatalf("jsonl: %d %q", code, b)
	}
	if code, _, _ := get("pdf", env.APIKey); code != http.StatusBadRequest {
		t.Fatalf("unknown format: %d", code)
	}
	_, otherKey := env.NewOrg(t, "other-org")
	if code, _, _ := get("csv", otherKey); code != http.StatusNotFound {
		t.Fatalf("another organization's key: %d", code)
	}
}

// TestDownloadManyChunks: an import of many small chunks downloads whole
// and in order in every format (the reader reuses its buffers across
// chunks while the next one is decrypted).
func TestDownloadManyChunks(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	var im struct{ Key string }
	tmpl := json.RawMessage(`{"columns":[{"key":"n","type":"text"},{"key":"v","type":"text"}]}`)
	env.Do(t, "POST", "/api/v1/importers", env.APIKey, map[string]any{"name": "many", "template": tmpl}, &im)
	const total, per = 1000, 7
	var up struct {
		ImportID    string `json:"import_id"`
		UploadToken string `json:"upload_token"`
	}
	env.Do(t, "POST", "/api/v1/uploads", "", map[string]any{"importer": im.Key, "columns": []string{"n", "v"},
		"source": map[string]any{"format": "csv", "size_bytes": 10}, "rows": total}, &up)
	var want strings.Builder
	want.WriteString("n,v\r\n")
	chunks := 0
	for first := 0; first < total; first += per {
		var rows [][]*string
		for i := first; i < min(first+per, total); i++ {
			v := str(strings.Repeat("x", i%13))
			if i%5 == 0 {
				v = nil
			}
			rows = append(rows, []*string{str(fmt.Sprint(i)), v})
			fmt.Fprintf(&want, "%d,", i)
			if v != nil { // the server stores an empty cell as null
				want.WriteString(*v)
			}
			want.WriteString("\r\n")
		}
		body, _ := json.Marshal(map[string]any{"first_row": first, "rows": rows})
		req, _ := http.NewRequest("PUT", fmt.Sprintf("%s/api/v1/uploads/%s/chunks/%d", env.URL, up.ImportID, chunks), bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+up.UploadToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("chunk %d: %v %v", chunks, resp, err)
		}
		resp.Body.Close()
		chunks++
	}
	if code := env.Do(t, "POST", "/api/v1/uploads/"+up.ImportID+"/complete", up.UploadToken, map[string]any{"chunks": chunks, "rows": total}, nil); code != 200 {
		t.Fatalf("complete: %d", code)
	}
	req, _ := http.NewRequest("GET", env.URL+"/api/v1/imports/"+up.ImportID+"/download", nil)
	req.Header.Set("Authorization", "Bearer "+env.APIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(got) != want.String() {
		t.Fatalf("CSV of %d chunks differs from the rows sent (%d bytes, want %d)", chunks, len(got), want.Len())
	}
}
