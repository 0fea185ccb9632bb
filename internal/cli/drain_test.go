package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/intakehq/intake/internal/server/servertest"
)

const serveHelperEnv = "INTAKE_TEST_SERVE_HELPER_DIR"

// TestServeHelperProcess is not a test: run by TestSIGTERMDrains as a child
// process, it is cmd/intake's main (SIGTERM cancels serve's context) running
// `intake serve` on the data folder named by the environment.
func TestServeHelperProcess(t *testing.T) {
	dir := os.Getenv(serveHelperEnv)
	if dir == "" {
		t.Skip("helper process only")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dir, "--demo",
		"--drain-delay", "2s", "--shutdown-timeout", "30s"}, strings.NewReader(""), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// child is a running `intake serve` process.
type child struct {
	cmd    *exec.Cmd
	logs   *syncBuffer
	base   string
	exited chan error
}

// startServe runs serve on dir with the test's environment plus env.
func startServe(t *testing.T, dir string, env ...string) *child {
	t.Helper()
	c := &child{logs: &syncBuffer{}, exited: make(chan error, 1)}
	c.cmd = exec.Command(os.Args[0], "-test.run=^TestServeHelperProcess$", "-test.count=1")
	c.cmd.Env = append(append(os.Environ(), env...), serveHelperEnv+"="+dir)
	t.Cleanup(func() {
		if c.cmd.Process != nil && c.cmd.ProcessState == nil {
			c.cmd.Process.Kill()
			<-c.exited
		}
	})
	base, err := servertest.StartServe(c.cmd, c.logs, c.exited)
	if err != nil {
		t.Fatalf("%v:\n%s", err, c.logs.String())
	}
	c.base = base
	return c
}

// stop sends SIGTERM and waits for a clean exit.
func (c *child) stop(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	c.wait(t)
}

func (c *child) wait(t *testing.T) {
	t.Helper()
	select {
	case err := <-c.exited:
		if err != nil {
			t.Fatalf("serve exited with %v after SIGTERM:\n%s", err, c.logs.String())
		}
	case <-time.After(90 * time.Second):
		t.Fatalf("serve still running 90 s after SIGTERM:\n%s", c.logs.String())
	}
}

// call sends one request on a connection of its own (a drained server
// turns keep-alives off) and decodes a JSON answer into out.
func call(t *testing.T, method, url, token string, body io.Reader, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	client := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, url, err, b)
		}
	}
	return resp.StatusCode
}

func demoChunk(first, n int) []byte {
	rows := make([][]string, n)
	for i := range rows {
		r := first + i
		rows[i] = []string{fmt.Sprint(r), "Ada", fmt.Sprintf("ada%d@example.com", r)}
	}
	b, _ := json.Marshal(map[string]any{"first_row": first, "rows": rows})
	return b
}

// TestSIGTERMDrains: a serve process sent SIGTERM while a chunk is halfway
// uploaded answers /readyz 503 at once (a load balancer stops sending it
// work) while it still answers /healthz (no liveness restart mid-drain),
// lets the chunk finish and acknowledges it, and exits 0. Restarted on the
// same data folder, it has every acknowledged chunk and completes the import.
func TestSIGTERMDrains(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv := startServe(t, dir)
	const rows = 2000
	var up struct {
		ImportID    string `json:"import_id"`
		UploadToken string `json:"upload_token"`
	}
	create, _ := json.Marshal(map[string]any{"importer": "imp_demo", "columns": []string{"id", "first_name", "email"},
		"source": map[string]any{"format": "csv", "size_bytes": 100000}, "rows": 2 * rows})
	if code := call(t, "POST", srv.base+"/api/v1/uploads", "", bytes.NewReader(create), &up); code != http.StatusCreated {
		t.Fatalf("create upload: %d\n%s", code, srv.logs.String())
	}
	chunkURL := func(n int) string { return fmt.Sprintf("%s/api/v1/uploads/%s/chunks/%d", srv.base, up.ImportID, n) }
	if code := call(t, "PUT", chunkURL(0), up.UploadToken, bytes.NewReader(demoChunk(0, rows)), nil); code != http.StatusOK {
		t.Fatalf("chunk 0: %d", code)
	}

	// Chunk 1 goes halfway, then SIGTERM, then the rest.
	body := demoChunk(rows, rows)
	pr, pw := io.Pipe()
	answered := make(chan int, 1)
	go func() { answered <- call(t, "PUT", chunkURL(1), up.UploadToken, pr, nil) }()
	if _, err := pw.Write(body[:len(body)/2]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // the request reaches its handler
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(srv.logs.String(), `"msg":"draining"`) {
		if time.Now().After(deadline) {
			t.Fatalf("no drain logged after SIGTERM:\n%s", srv.logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if code := call(t, "GET", srv.base+"/readyz", "", nil, nil); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz while draining: %d, want 503", code)
	}
	if code := call(t, "GET", srv.base+"/healthz", "", nil, nil); code != http.StatusOK {
		t.Errorf("/healthz while draining: %d, want 200", code)
	}
	if _, err := pw.Write(body[len(body)/2:]); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	if code := <-answered; code != http.StatusOK {
		t.Fatalf("the chunk in flight at SIGTERM was answered %d, want 200:\n%s", code, srv.logs.String())
	}
	srv.wait(t)

	again := startServe(t, dir)
	var status struct {
		Chunks []int `json:"chunks"`
		Rows   int   `json:"rows_received"`
	}
	if code := call(t, "GET", fmt.Sprintf("%s/api/v1/uploads/%s", again.base, up.ImportID), up.UploadToken, nil, &status); code != http.StatusOK {
		t.Fatalf("upload status after restart: %d", code)
	}
	if len(status.Chunks) != 2 || status.Rows != 2*rows {
		t.Fatalf("after restart the upload holds chunks %v, %d rows; want [0 1], %d", status.Chunks, status.Rows, 2*rows)
	}
	done, _ := json.Marshal(map[string]any{"chunks": 2, "rows": 2 * rows, "rows_skipped": 0})
	if code := call(t, "POST", fmt.Sprintf("%s/api/v1/uploads/%s/complete", again.base, up.ImportID), up.UploadToken, bytes.NewReader(done), nil); code != http.StatusOK {
		t.Fatalf("complete after restart: %d\n%s", code, again.logs.String())
	}
	again.stop(t)
}
