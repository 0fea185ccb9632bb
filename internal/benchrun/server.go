package benchrun

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake/internal/benchrun/rawlimit"
	"github.com/intakehq/intake/internal/server"
	"github.com/intakehq/intake/internal/server/servertest"
)

// server runs the server's steps on one in-process server in embedded mode
// (SQLite, file blobs), the way `intake serve` runs with no configuration.
func (r *run) server() {
	env := servertest.Start(r.tb, servertest.Options{Configure: servertest.AllowLoopback})
	env.StartJobs(r.tb)
	inflate, err := rawlimit.Inflate(r.bodies)
	if err != nil {
		r.tb.Fatal(err)
	}
	var demo, demoImporter string
	for _, tc := range []struct{ name, template string }{
		{"demo", string(server.DemoTemplate)},
		{"typed", servertest.TypedTemplate},
	} {
		imp := newImporter(r.tb, env, tc.name, tc.template)
		var id string
		cost, err := rawlimit.Measure(func() error {
			var err error
			id, err = upload(to(env), imp.Key, r.header, r.bodies, r.rows)
			return err
		})
		if err != nil {
			r.tb.Fatal(err)
		}
		r.add(Figure{Step: "server ingest, " + tc.name + " template (upload API)", Unit: "rows", N: float64(r.rows), Cost: cost,
			Limit: "inflate only", Raw: inflate})
		if tc.name == "demo" {
			demo, demoImporter = id, imp.ID
		}
	}
	r.deliver(env, demoImporter, demo)
	r.download(env, demo)
	r.purge(env)
}

type importer struct{ ID, Key string }

// to sends every request of an upload to env.
func to(env *servertest.Env) func(int) string { return func(int) string { return env.URL } }

func newImporter(tb testing.TB, env *servertest.Env, name, template string) importer {
	var im importer
	body := map[string]any{"name": name, "mode": "stored", "allow_invalid": true, "template": json.RawMessage(template)}
	if code := env.Do(tb, "POST", "/api/v1/importers", env.APIKey, body, &im); code != http.StatusCreated {
		tb.Fatalf("create the %s importer: status %d", name, code)
	}
	return im
}

var client = &http.Client{Timeout: 10 * time.Minute}

// call sends one request to the server at base and decodes a JSON answer
// into out.
func call(base, method, path, token, encoding string, body []byte, out any) error {
	req, err := http.NewRequest(method, base+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		_ = json.Unmarshal(b, &e) // the code only: a message may quote the request
		return fmt.Errorf("%s %s: status %d %s", method, path, resp.StatusCode, e.Error.Code)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return nil
}

// upload sends one import through the upload API, as the widget does:
// create, the gzip'd chunks in order, complete, request k of them to the
// server at to(k). It returns the import's id.
func upload(to func(k int) string, key string, header []string, bodies [][]byte, rows int) (string, error) {
	create, _ := json.Marshal(map[string]any{"importer": key, "columns": header,
		"source": map[string]any{"format": "csv", "size_bytes": 1}, "rows": rows})
	var up struct {
		ImportID    string `json:"import_id"`
		UploadToken string `json:"upload_token"`
	}
	if err := call(to(0), "POST", "/api/v1/uploads", "", "", create, &up); err != nil {
		return "", err
	}
	for n, b := range bodies {
		if err := call(to(1+n), "PUT", fmt.Sprintf("/api/v1/uploads/%s/chunks/%d", up.ImportID, n), up.UploadToken, "gzip", b, nil); err != nil {
			return "", err
		}
	}
	done, _ := json.Marshal(map[string]any{"chunks": len(bodies), "rows": rows, "rows_skipped": 0})
	if err := call(to(1+len(bodies)), "POST", "/api/v1/uploads/"+up.ImportID+"/complete", up.UploadToken, "", done, nil); err != nil {
		return "", err
	}
	return up.ImportID, nil
}

// sealedSizes are the sizes of the import's sealed chunk blobs.
func sealedSizes(dataDir, importID string) ([]int, error) {
	var sizes []int
	err := filepath.WalkDir(filepath.Join(dataDir, "blobs"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.Contains(filepath.ToSlash(p), "/"+importID+"/") {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		sizes = append(sizes, int(info.Size()))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list the import's blobs: %w", err)
	}
	if len(sizes) == 0 {
		return nil, fmt.Errorf("no blob of import %s under the data folder", importID)
	}
	return sizes, nil
}

// download reads the stored demo import back as CSV through the API,
// beside AES-GCM alone opening the same sealed bytes.
func (r *run) download(env *servertest.Env, importID string) {
	var n int64
	cost, err := rawlimit.Measure(func() error {
		req, err := http.NewRequest("GET", env.URL+"/api/v1/imports/"+importID+"/download?format=csv", nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+env.APIKey)
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("download: %w", err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("download: status %d", resp.StatusCode)
		}
		n, err = io.Copy(io.Discard, resp.Body)
		return err
	})
	if err != nil {
		r.tb.Fatal(err)
	}
	sizes, err := sealedSizes(env.DataDir, importID)
	if err != nil {
		r.tb.Fatal(err)
	}
	raw, err := rawlimit.AESGCM(sizes)
	if err != nil {
		r.tb.Fatal(err)
	}
	total := 0
	for _, s := range sizes {
		total += s
	}
	r.add(Figure{Step: "download as CSV (API)", Unit: "rows", N: float64(r.rows), Cost: cost, Limit: "AES-GCM alone",
		Raw: raw, Note: fmt.Sprintf("%.1f MB of CSV from %.1f MB sealed in %d chunks", float64(n)/1e6, float64(total)/1e6, len(sizes))})
}
