package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// These tests drive the real binary, as an operator would.

var buildOnce struct {
	sync.Once
	path string
	err  error
}

func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "intake-bin")
		if err != nil {
			buildOnce.err = err
			return
		}
		buildOnce.path = filepath.Join(dir, "intake")
		out, err := exec.Command("go", "build", "-o", buildOnce.path, ".").CombinedOutput()
		if err != nil {
			buildOnce.err = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if buildOnce.err != nil {
		t.Fatal(buildOnce.err)
	}
	return buildOnce.path
}

// serveProc is a running `intake serve`.
type serveProc struct {
	cmd  *exec.Cmd
	base string
	logs *bytes.Buffer
}

func startServe(t *testing.T, dataDir string) *serveProc {
	t.Helper()
	cmd := exec.Command(binary(t), "serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serveProc{cmd: cmd, logs: &bytes.Buffer{}}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Bytes()
			p.logs.Write(append(line, '\n'))
			var l struct{ Msg, Addr string }
			if json.Unmarshal(line, &l) == nil && l.Msg == "intake listening" {
				addr <- l.Addr
			}
		}
	}()
	select {
	case a := <-addr:
		p.base = "http://" + a
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("intake serve did not start")
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return p
}

func call(t *testing.T, method, url, token string, body []byte, gz bool, out any) int {
	t.Helper()
	if gz {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write(body)
		w.Close()
		body = b.Bytes()
	}
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if gz {
		req.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return -1 // the server is gone (killed): the caller decides
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil {
		json.Unmarshal(data, out)
	}
	return resp.StatusCode
}

func adminInit(t *testing.T, dataDir string) string {
	t.Helper()
	cmd := exec.Command(binary(t), "admin", "init", "--org", "acme", "--email", "owner@acme.test", "--password-stdin", "--data-dir", dataDir)
	cmd.Stdin = strings.NewReader("a long enough password\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("admin init: %v", err)
	}
	var res struct {
		OrgID  string `json:"org_id"`
		APIKey string `json:"api_key"`
	}
	if err := json.Unmarshal(out, &res); err != nil || !strings.HasPrefix(res.APIKey, "ik_") || !strings.HasPrefix(res.OrgID, "org_") {
		t.Fatalf("admin init printed %q", out)
	}
	return res.APIKey
}

// TestKillMidUploadThenResume kills the server with SIGKILL while chunks are
// in flight, restarts it on the same data folder, resumes from the chunk
// list the server reports, completes, and reads back exactly the rows sent.
func TestKillMidUploadThenResume(t *testing.T) {
	dataDir := t.TempDir()
	apiKey := adminInit(t, dataDir)
	srv := startServe(t, dataDir)

	tmpl := `{"columns":[{"key":"id","type":"text","required":true,"unique":true},{"key":"note","type":"text"}]}`
	var im struct{ Key string }
	if code := call(t, "POST", srv.base+"/api/v1/importers", apiKey, []byte(`{"name":"kill","template":`+tmpl+`}`), false, &im); code != 201 {
		t.Fatalf("create importer: %d", code)
	}
	const chunks, perChunk = 40, 500
	rows := make([][]*string, chunks*perChunk)
	for i := range rows {
		id, note := fmt.Sprintf("row-%06d", i), fmt.Sprintf("note «%d» with, commas\nand lines", i)
		rows[i] = []*string{&id, &note}
	}
	body := func(n int) []byte {
		b, _ := json.Marshal(map[string]any{"first_row": n * perChunk, "rows": rows[n*perChunk : (n+1)*perChunk]})
		return b
	}
	var up struct {
		ImportID    string `json:"import_id"`
		UploadToken string `json:"upload_token"`
	}
	create := fmt.Sprintf(`{"importer":%q,"columns":["id","note"],"source":{"format":"csv","size_bytes":1},"rows":%d}`, im.Key, len(rows))
	if code := call(t, "POST", srv.base+"/api/v1/uploads", "", []byte(create), false, &up); code != 201 {
		t.Fatalf("create upload: %d", code)
	}
	// Four senders push chunks; the server is killed once a third is acknowledged.
	var acked sync.Map
	var wg sync.WaitGroup
	next := make(chan int, chunks)
	for n := range chunks {
		next <- n
	}
	close(next)
	killed := make(chan struct{})
	var once sync.Once
	count := 0
	var mu sync.Mutex
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range next {
				code := call(t, "PUT", fmt.Sprintf("%s/api/v1/uploads/%s/chunks/%d", srv.base, up.ImportID, n), up.UploadToken, body(n), true, nil)
				if code == 200 {
					acked.Store(n, true)
					mu.Lock()
					count++
					c := count
					mu.Unlock()
					if c == chunks/3 {
						once.Do(func() { srv.cmd.Process.Signal(syscall.SIGKILL); close(killed) })
					}
				}
			}
		}()
	}
	wg.Wait()
	<-killed
	srv.cmd.Wait()

	srv = startServe(t, dataDir)
	var st struct {
		Status string `json:"status"`
		Chunks []int  `json:"chunks"`
	}
	if code := call(t, "GET", srv.base+"/api/v1/uploads/"+up.ImportID, up.UploadToken, nil, false, &st); code != 200 {
		t.Fatalf("status after restart: %d", code)
	}
	stored := map[int]bool{}
	for _, n := range st.Chunks {
		stored[n] = true
	}
	acked.Range(func(k, _ any) bool {
		if !stored[k.(int)] {
			t.Errorf("chunk %d was acknowledged before the kill but is not stored", k)
		}
		return true
	})
	if len(stored) == chunks {
		t.Fatal("every chunk arrived before the kill: the test did not interrupt anything")
	}
	for n := range chunks {
		if !stored[n] {
			if code := call(t, "PUT", fmt.Sprintf("%s/api/v1/uploads/%s/chunks/%d", srv.base, up.ImportID, n), up.UploadToken, body(n), true, nil); code != 200 {
				t.Fatalf("resume chunk %d: %d", n, code)
			}
		}
	}
	var done struct{ Rows int }
	if code := call(t, "POST", srv.base+"/api/v1/uploads/"+up.ImportID+"/complete", up.UploadToken, fmt.Appendf(nil, `{"chunks":%d,"rows":%d}`, chunks, len(rows)), false, &done); code != 200 || done.Rows != len(rows) {
		t.Fatalf("complete: %d %+v", code, done)
	}
	var got [][]*string
	for off := 0; off < len(rows); off += 5000 {
		var page struct{ Rows [][]*string }
		call(t, "GET", fmt.Sprintf("%s/api/v1/imports/%s/rows?offset=%d&limit=5000", srv.base, up.ImportID, off), apiKey, nil, false, &page)
		got = append(got, page.Rows...)
	}
	if !reflect.DeepEqual(got, rows) {
		t.Fatalf("rows read back (%d) differ from rows sent (%d)", len(got), len(rows))
	}
	t.Logf("killed after %d acknowledged chunks; %d of %d were stored at restart", chunks/3, len(st.Chunks), chunks)
}
