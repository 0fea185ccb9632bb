package fileimport_test

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/intakehq/intake/internal/server/servertest"
)

// canary is put in cells; it must appear in no report, log or import log.
const canary = "CANARY-7f3e-headless"

const testTemplate = `{"columns":[
	{"key":"id","label":"ID","type":"text","required":true,"unique":true},
	{"key":"email","label":"Email","type":"email","required":true},
	{"key":"name","label":"Name","type":"text"}]}`

type importer struct {
	ID  string `json:"id"`
	Key string `json:"key"`
}

func newImporter(t *testing.T, env *servertest.Env, extra map[string]any) importer {
	t.Helper()
	body := map[string]any{"name": "files", "template": []byte(testTemplate)}
	body["template"] = jsonRaw(testTemplate)
	for k, v := range extra {
		body[k] = v
	}
	var im importer
	if code := env.Do(t, "POST", "/api/v1/importers", env.APIKey, body, &im); code != http.StatusCreated {
		t.Fatalf("create importer: %d", code)
	}
	return im
}

type jsonRaw string

func (j jsonRaw) MarshalJSON() ([]byte, error) { return []byte(j), nil }

type fileState struct {
	ID             string `json:"id"`
	Status         string `json:"status"`
	Rows           int64  `json:"rows"`
	RowsWithErrors int64  `json:"rows_with_errors"`
	File           *struct {
		State          string `json:"state"`
		RowsParsed     int64  `json:"rows_parsed"`
		Errors         int64  `json:"errors"`
		FailureCode    string `json:"failure_code"`
		FailureMessage string `json:"failure_message"`
	} `json:"file"`
}

func postFile(t *testing.T, env *servertest.Env, importerID, query string, body io.Reader, contentType string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", env.URL+"/api/v1/importers/"+importerID+"/files?"+query, body)
	req.Header.Set("Authorization", "Bearer "+env.APIKey)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func importID(t *testing.T, answer string) string {
	t.Helper()
	_, rest, ok := strings.Cut(answer, `"import_id":"`)
	if !ok {
		t.Fatalf("no import_id in %s", answer)
	}
	id, _, _ := strings.Cut(rest, `"`)
	return id
}

// wait polls the import until its file import is finished.
func wait(t *testing.T, env *servertest.Env, id string) fileState {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var st fileState
		if code := env.Do(t, "GET", "/api/v1/imports/"+id, env.APIKey, nil, &st); code != http.StatusOK {
			t.Fatalf("get import: %d\n%s", code, env.Logs.String())
		}
		if st.File == nil {
			t.Fatalf("import %s has no file progress", id)
		}
		if st.File.State == "completed" || st.File.State == "failed" {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("import %s still %s", id, st.File.State)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func csvRows(n int, bad map[int]bool) string {
	var b strings.Builder
	b.WriteString("Identifier,E-mail address,Name\n")
	for i := range n {
		email := fmt.Sprintf("user%d@example.com", i)
		if bad[i] {
			email = canary + " not an email"
		}
		fmt.Fprintf(&b, "%d,%s,%s %d\n", i, email, canary, i)
	}
	return b.String()
}

// xlsxRows is a workbook whose second sheet, People, holds n rows like
// csvRows' (random names keep it from compressing to one segment).
func xlsxRows(t *testing.T, n int) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if _, err := f.NewSheet("People"); err != nil {
		t.Fatal(err)
	}
	sw, err := f.NewStreamWriter("People")
	if err != nil {
		t.Fatal(err)
	}
	sw.SetRow("A1", []any{"Identifier", "E-mail address", "Name"})
	for i := range n {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		sw.SetRow(cell, []any{i, fmt.Sprintf("user%d@example.com", i), fmt.Sprintf("%s %x", canary, rand.Uint64())})
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := f.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	if b.Len() < 2<<20 {
		t.Fatalf("the workbook has %d bytes, fewer than two segments", b.Len())
	}
	return b.Bytes()
}

func get(t *testing.T, env *servertest.Env, path string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", env.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+env.APIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestFilesAPI(t *testing.T) {
	t.Parallel()
	for _, pg := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) {
			t.Parallel()
			env := servertest.Start(t, servertest.Options{Postgres: pg})
			env.StartJobs(t)
			im := newImporter(t, env, nil)

			// A valid file, as a raw body, mapped automatically (the
			// headers are not the keys: the matcher finds them).
			code, answer := postFile(t, env, im.ID, "name=people.csv", strings.NewReader(csvRows(12_000, nil)), "text/csv")
			if code != http.StatusAccepted {
				t.Fatalf("post file: %d %s", code, answer)
			}
			st := wait(t, env, importID(t, answer))
			if st.File.State != "completed" || st.Status != "completed" || st.Rows != 12_000 || st.File.RowsParsed != 12_000 {
				t.Fatalf("valid file: %+v %+v", st, *st.File)
			}
			if code, page := get(t, env, "/api/v1/imports/"+st.ID+"/rows?offset=11999&limit=1"); code != 200 ||
				!strings.Contains(page, "user11999@example.com") {
				t.Fatalf("stored rows: %d %s", code, page)
			}

			// Invalid cells and a duplicate, as multipart
			// with an explicit mapping, by the importer's public key: the
			// import fails, keeps nothing, and reports row, column, code.
			bad := map[int]bool{3: true, 7001: true}
			// A blank line after the header: the parser drops it, the
			// report still names the file's rows.
			file := strings.Replace(csvRows(12_000, bad), "\n", "\n\n", 1) + "10000,dup@example.com,x\n"
			var mp bytes.Buffer
			mw := multipart.NewWriter(&mp)
			mw.WriteField("mapping", `{"Identifier":"id","E-mail address":"email","Name":"name"}`)
			fw, _ := mw.CreateFormFile("file", "people.csv")
			fw.Write([]byte(file))
			mw.Close()
			code, answer = postFile(t, env, im.Key, "", &mp, mw.FormDataContentType())
			if code != http.StatusAccepted {
				t.Fatalf("post multipart: %d %s", code, answer)
			}
			id := importID(t, answer)
			st = wait(t, env, id)
			if st.File.State != "failed" || st.File.FailureCode != "invalid_rows" || st.File.Errors != 3 || st.Status != "purged" {
				t.Fatalf("invalid file: %+v %+v", st, *st.File)
			}
			code, report := get(t, env, "/api/v1/imports/"+id+"/errors.csv")
			want := "row,column,code\n6,email,invalid_email\n7004,email,invalid_email\n12003,id,duplicate\n"
			if code != 200 || strings.ReplaceAll(report, "\r\n", "\n") != want {
				t.Fatalf("error report: %d\n%s\nwant\n%s", code, report, want)
			}
			_, log := get(t, env, "/api/v1/imports/"+id+"/log")
			_, jsonReport := get(t, env, "/api/v1/imports/"+id+"/errors")
			_, status := get(t, env, "/api/v1/imports/"+id)
			for what, s := range map[string]string{"report": report, "json report": jsonReport, "import log": log,
				"status": status, "server log": env.Logs.String()} {
				if strings.Contains(s, canary) || strings.Contains(s, "E-mail address") {
					t.Errorf("the %s holds a cell value or a header", what)
				}
			}

			// A duplicate of a value another chunk holds is found when the
			// import completes: it fails the same way.
			code, answer = postFile(t, env, im.ID, "", strings.NewReader(csvRows(6000, nil)+"3,again@example.com,x\n"), "")
			if code != http.StatusAccepted {
				t.Fatalf("post duplicate: %d %s", code, answer)
			}
			id = importID(t, answer)
			if st = wait(t, env, id); st.File.FailureCode != "invalid_rows" || st.Status != "purged" {
				t.Fatalf("cross-chunk duplicate: %+v %+v", st, *st.File)
			}
			if _, report := get(t, env, "/api/v1/imports/"+id+"/errors.csv"); strings.ReplaceAll(report, "\r\n", "\n") != "row,column,code\n6002,id,duplicate\n" {
				t.Errorf("cross-chunk duplicate report: %q", report)
			}

			// Bounds and options are refused before anything is stored.
			small := newImporter(t, env, map[string]any{"max_file_bytes": 100})
			if code, answer := postFile(t, env, small.ID, "", strings.NewReader(csvRows(100, nil)), ""); code != http.StatusRequestEntityTooLarge {
				t.Errorf("over max_file_bytes: %d %s", code, answer)
			}
			if code, _ := postFile(t, env, im.ID, "allow_invalid=true", strings.NewReader("a\n"), ""); code != http.StatusBadRequest {
				t.Errorf("allow_invalid past the importer's: %d", code)
			}
			if code, _ := postFile(t, env, im.ID, "mapping="+url.QueryEscape("{"), strings.NewReader("a\n"), ""); code != http.StatusBadRequest {
				t.Errorf("bad mapping: %d", code)
			}
			if code, _ := postFile(t, env, "ipr_nope", "", strings.NewReader("a\n"), ""); code != http.StatusNotFound {
				t.Errorf("unknown importer: %d", code)
			}
			other, otherKey := env.NewOrg(t, "other")
			_ = other
			req, _ := http.NewRequest("POST", env.URL+"/api/v1/importers/"+im.ID+"/files", strings.NewReader("a\n"))
			req.Header.Set("Authorization", "Bearer "+otherKey)
			if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusNotFound {
				t.Errorf("another organization's importer: %v %v", resp.StatusCode, err)
			}

			// An XLSX workbook of several sealed segments, read back
			// through the zip's random access.
			code, answer = postFile(t, env, im.ID, "name=people.xlsx&sheet=People", bytes.NewReader(xlsxRows(t, 90_000)), "")
			if code != http.StatusAccepted {
				t.Fatalf("post xlsx: %d %s", code, answer)
			}
			if st = wait(t, env, importID(t, answer)); st.File.State != "completed" || st.Rows != 90_000 {
				t.Fatalf("xlsx: %+v %+v", st, *st.File)
			}
			// A file the parser refuses fails with the parser's code.
			code, answer = postFile(t, env, im.ID, "name=broken.xlsx", strings.NewReader("not a zip at all"), "")
			if code != http.StatusAccepted {
				t.Fatalf("post broken: %d %s", code, answer)
			}
			if st = wait(t, env, importID(t, answer)); st.File.FailureCode != "not_a_workbook" {
				t.Errorf("broken workbook: %+v", *st.File)
			}

			// A file whose required column is not found fails with a
			// plan error naming the key.
			code, answer = postFile(t, env, im.ID, "", strings.NewReader("foo,bar\n1,2\n"), "")
			if code != http.StatusAccepted {
				t.Fatalf("post unmappable: %d %s", code, answer)
			}
			st = wait(t, env, importID(t, answer))
			if st.File.FailureCode != "unmapped_required" || !strings.Contains(st.File.FailureMessage, "id, email") {
				t.Errorf("unmappable file: %+v", *st.File)
			}
		})
	}
}
