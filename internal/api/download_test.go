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
