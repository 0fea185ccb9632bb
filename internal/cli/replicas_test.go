package cli

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/intakehq/intake/internal/benchrun"
	"github.com/intakehq/intake/internal/server"
	"github.com/intakehq/intake/internal/store/storetest"
)

// cluster is N `intake serve` child processes on one PostgreSQL schema, one
// in-process S3 server and one master key, each on a loopback port and a
// data folder of its own, as replicas behind a load balancer would be.
type cluster struct {
	t      *testing.T
	pgURL  string
	s3     *s3mem.Backend
	env    []string
	apiKey string
	// pg counts the CPU of the replicas' PostgreSQL backends.
	pg *benchrun.PGMeter

	// retries counts requests a replica failed or refused and another took.
	retries atomic.Int64

	mu       sync.Mutex
	replicas []*child
	dirs     []string
}

// newCluster starts n replicas; it skips when PostgreSQL is not configured.
func newCluster(t *testing.T, n int) *cluster {
	t.Helper()
	pgURL := storetest.PostgresURL(t)
	if pgURL == "" {
		t.Skip("PostgreSQL not configured (INTAKE_TEST_DATABASE_URL)")
	}
	pg, err := benchrun.NewPGMeter(context.Background(), pgURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pg.Close)
	c := &cluster{t: t, pgURL: pgURL, s3: s3mem.New(), pg: pg}
	if err := c.s3.CreateBucket("intake"); err != nil {
		t.Fatal(err)
	}
	s3srv := httptest.NewServer(gofakes3.New(c.s3).Server())
	t.Cleanup(s3srv.Close)
	key := make([]byte, 32)
	rand.Read(key)
	c.env = []string{
		"INTAKE_DATABASE_URL=" + pg.Tag(pgURL),
		"INTAKE_BLOB_URL=s3://intake?region=us-east-1&use_path_style=true&endpoint=" + url.QueryEscape(s3srv.URL),
		"INTAKE_MASTER_KEY_URL=base64key://" + base64.URLEncoding.EncodeToString(key),
		"AWS_ACCESS_KEY_ID=intake-test", "AWS_SECRET_ACCESS_KEY=intake-test",
		"INTAKE_OUTBOUND_ALLOW=127.0.0.0/8", "INTAKE_DELIVERY_TIMEOUT=3s",
	}
	dir := t.TempDir()
	code, out, errOut := runIn(t, "correct horse battery\n", "admin", "init", "--org", "acme", "--email", "o@acme.test",
		"--password-stdin", "--data-dir", dir, "--database-url", pgURL)
	var admin struct {
		APIKey string `json:"api_key"`
	}
	if code != exitOK || json.Unmarshal([]byte(out), &admin) != nil {
		t.Fatalf("admin init: %d %s %s", code, out, errOut)
	}
	c.apiKey = admin.APIKey
	for i := range n {
		c.dirs = append(c.dirs, filepath.Join(t.TempDir(), strconv.Itoa(i)))
		c.replicas = append(c.replicas, startServe(t, c.dirs[i], c.env...))
	}
	return c
}

// base is replica i's current URL (it changes when the replica restarts).
func (c *cluster) base(i int) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.replicas[i%len(c.replicas)].base
}

// restart starts replica i again on its data folder once it has exited.
func (c *cluster) restart(i int) {
	r := startServe(c.t, c.dirs[i], c.env...)
	c.mu.Lock()
	c.replicas[i] = r
	c.mu.Unlock()
}

var clusterClient = &http.Client{Timeout: 60 * time.Second}

// try sends one request; a transport error is returned, not fatal, since a
// replica may be killed under it.
func try(method, url, token string, body []byte, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return 0, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := clusterClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode >= 300 {
		// The API's error code only: its message may quote the request.
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		json.Unmarshal(b, &e)
		return resp.StatusCode, fmt.Errorf("%s %s: status %d %s", method, url, resp.StatusCode, e.Error.Code)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %w", method, url, err)
		}
	}
	return resp.StatusCode, nil
}

// send tries replica first, then the others in turn, until one answers a
// status in ok or a minute passes: what a client behind a load balancer
// sees while a replica is killed or drained.
func (c *cluster) send(first int, method, path, token string, body []byte, out any, ok ...int) (int, error) {
	deadline := time.Now().Add(60 * time.Second)
	var last error
	for i := first; time.Now().Before(deadline); i++ {
		code, err := try(method, c.base(i)+path, token, body, out)
		for _, want := range ok {
			if code == want {
				return code, nil
			}
		}
		if code >= 400 && code < 500 && code != http.StatusTooManyRequests {
			return code, err // the request's fault, not the replica's
		}
		last = err
		c.retries.Add(1)
		time.Sleep(50 * time.Millisecond)
	}
	return 0, fmt.Errorf("no replica took it in a minute: %w", last)
}

// importer creates an importer with the demo template, stored mode, that
// keeps invalid rows (the bench data has some, as real files do).
func (c *cluster) importer() (id, key string) {
	c.t.Helper()
	body, _ := json.Marshal(map[string]any{"name": "demo", "mode": "stored", "allow_invalid": true,
		"template": json.RawMessage(server.DemoTemplate)})
	var im struct{ ID, Key string }
	if _, err := c.send(0, "POST", "/api/v1/importers", c.apiKey, body, &im, http.StatusCreated); err != nil {
		c.t.Fatal(err)
	}
	return im.ID, im.Key
}

// upload sends one import of chunks (bodies from chunk) to the replicas,
// chunk n of import i to replica i+n, and completes it; it returns the
// import's id.
func (c *cluster) upload(i int, key string, columns []string, chunks, rowsPer int, chunk func(first, n int) []byte) (string, error) {
	create, _ := json.Marshal(map[string]any{"importer": key, "columns": columns,
		"source": map[string]any{"format": "csv", "size_bytes": 1000}, "rows": chunks * rowsPer})
	var up struct {
		ImportID    string `json:"import_id"`
		UploadToken string `json:"upload_token"`
	}
	if _, err := c.send(i, "POST", "/api/v1/uploads", "", create, &up, http.StatusCreated); err != nil {
		return "", err
	}
	for n := range chunks {
		path := fmt.Sprintf("/api/v1/uploads/%s/chunks/%d", up.ImportID, n)
		if _, err := c.send(i+n, "PUT", path, up.UploadToken, chunk(n*rowsPer, rowsPer), nil, http.StatusOK); err != nil {
			return "", fmt.Errorf("import %d chunk %d: %w", i, n, err)
		}
	}
	done, _ := json.Marshal(map[string]any{"chunks": chunks, "rows": chunks * rowsPer, "rows_skipped": 0})
	// A completion acknowledged by a replica killed before its answer
	// arrived is answered 409 (no longer uploading) when retried.
	if _, err := c.send(i+chunks, "POST", "/api/v1/uploads/"+up.ImportID+"/complete", up.UploadToken, done, nil,
		http.StatusOK, http.StatusConflict); err != nil {
		return "", fmt.Errorf("import %d complete: %w", i, err)
	}
	return up.ImportID, nil
}

// hookReceiver is a loopback webhook receiver that verifies every message
// with the Standard Webhooks library and counts rows per import and id,
// both as received and once per webhook-id.
type hookReceiver struct {
	srv      *httptest.Server
	mu       sync.Mutex
	wh       *standardwebhooks.Webhook
	seen     map[string]bool
	raw      map[string]int // import/id → rows received, retries included
	deduped  map[string]int // import/id → rows in messages seen first time
	bad      int
	messages int
}

func newHookReceiver(t *testing.T) *hookReceiver {
	r := &hookReceiver{seen: map[string]bool{}, raw: map[string]int{}, deduped: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *hookReceiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.wh == nil || r.wh.Verify(body, req.Header) != nil {
		r.bad++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var ev struct {
		Type     string `json:"type"`
		ImportID string `json:"import_id"`
		Batch    struct {
			Rows []map[string]*string `json:"rows"`
		} `json:"batch"`
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	r.messages++
	id := req.Header.Get("webhook-id")
	first := !r.seen[id]
	r.seen[id] = true
	for _, row := range ev.Batch.Rows {
		k := ev.ImportID + "/" + *row["id"]
		r.raw[k]++
		if first {
			r.deduped[k]++
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// TestReplicasUnderFailure (issue 18): three `intake serve` replicas on one
// PostgreSQL and one S3 store take 32 imports from parallel clients, the
// chunks of each spread over the three and every import delivered to a
// webhook; meanwhile one replica is SIGKILLed and restarted and another is
// sent SIGTERM (it drains and exits 0) and restarted. Every import
// completes with every row stored exactly once, every row reaches the
// webhook at least once and exactly once after dedup by webhook-id, and a
// purge of everything leaves no chunk row, claim or blob behind.
func TestReplicasUnderFailure(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 3)
	imID, key := c.importer()
	rcv := newHookReceiver(t)
	body, _ := json.Marshal(map[string]any{"type": "webhook", "url": rcv.srv.URL + "/hook", "batch_size": 500})
	var dest struct{ Secret string }
	if _, err := c.send(0, "POST", "/api/v1/importers/"+imID+"/destinations", c.apiKey, body, &dest, http.StatusCreated); err != nil {
		t.Fatal(err)
	}
	wh, err := standardwebhooks.NewWebhook(dest.Secret)
	if err != nil {
		t.Fatal(err)
	}
	rcv.mu.Lock()
	rcv.wh = wh
	rcv.mu.Unlock()

	const imports, chunks, rowsPer, clients = 32, 6, 500, 6
	begin := time.Now()
	ids := make([]string, imports)
	errs := make(chan error, imports)
	var started, finished atomic.Int32
	next := make(chan int)
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				started.Add(1)
				id, err := c.upload(i, key, []string{"id", "first_name", "email"}, chunks, rowsPer, demoChunk)
				ids[i] = id
				if err != nil {
					errs <- err
				}
				finished.Add(1)
			}
		}()
	}
	go func() {
		for i := range imports {
			next <- i
		}
		close(next)
	}()
	// The failures, on the test's goroutine (startServe may fail it).
	for started.Load() < imports/4 {
		time.Sleep(10 * time.Millisecond)
	}
	killed := c.replicas[1]
	killed.cmd.Process.Signal(syscall.SIGKILL)
	<-killed.exited
	c.restart(1)
	for started.Load() < imports/2 {
		time.Sleep(10 * time.Millisecond)
	}
	killedAt := finished.Load() // once the killed replica is back
	drained := c.replicas[2]
	drained.cmd.Process.Signal(syscall.SIGTERM)
	termAt := finished.Load()
	if termAt == imports {
		t.Fatal("every import was done before SIGTERM: the test proves nothing")
	}
	if err := <-drained.exited; err != nil {
		t.Fatalf("the replica sent SIGTERM exited with %v:\n%s", err, drained.logs.String())
	}
	c.restart(2)
	t.Logf("of %d imports, %d were done when the killed replica was back, %d at the SIGTERM, %d when the drained replica was back",
		imports, killedAt, termAt, finished.Load())
	wg.Wait()
	close(errs)
	t.Logf("uploads done in %s", time.Since(begin).Round(time.Millisecond))
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}

	// Every import completed, each row stored once (read back as CSV).
	for i, id := range ids {
		var im struct {
			Status string `json:"status"`
		}
		if _, err := c.send(i, "GET", "/api/v1/imports/"+id, c.apiKey, nil, &im, http.StatusOK); err != nil || im.Status != "completed" {
			t.Fatalf("import %d: status %q (%v)", i, im.Status, err)
		}
		req, _ := http.NewRequest("GET", c.base(i)+"/api/v1/imports/"+id+"/download?format=csv", nil)
		req.Header.Set("Authorization", "Bearer "+c.apiKey)
		resp, err := clusterClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		records, err := csv.NewReader(resp.Body).ReadAll()
		resp.Body.Close()
		if err != nil || len(records) == 0 {
			t.Fatalf("download import %d: %v", i, err)
		}
		col := -1
		for j, h := range records[0] {
			if h == "id" {
				col = j
			}
		}
		got := map[string]int{}
		for _, r := range records[1:] {
			got[r[col]]++
		}
		for r := range chunks * rowsPer {
			if n := got[strconv.Itoa(r)]; n != 1 {
				t.Fatalf("import %d row %d stored %d times", i, r, n)
			}
		}
		if len(records)-1 != chunks*rowsPer {
			t.Fatalf("import %d: %d rows stored, want %d", i, len(records)-1, chunks*rowsPer)
		}
	}

	// Every row delivered at least once, exactly once after dedup. A
	// delivery the SIGKILL cut is re-run once River's rescuer (every 30 s,
	// on the leader) finds it stuck past the rescue delay: ~30 s here.
	deadline := time.Now().Add(90 * time.Second)
	for {
		rcv.mu.Lock()
		n := len(rcv.deduped)
		rcv.mu.Unlock()
		if n == imports*chunks*rowsPer {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d rows delivered in 90 s", n, imports*chunks*rowsPer)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("delivered by %s", time.Since(begin).Round(time.Millisecond))
	rcv.mu.Lock()
	retried := 0
	for _, id := range ids {
		for r := range chunks * rowsPer {
			k := id + "/" + strconv.Itoa(r)
			if rcv.deduped[k] != 1 || rcv.raw[k] < 1 {
				t.Errorf("row %s delivered %d times after dedup (%d received)", k, rcv.deduped[k], rcv.raw[k])
			}
			retried += rcv.raw[k] - 1
		}
	}
	if rcv.bad > 0 {
		t.Errorf("%d webhook messages failed verification", rcv.bad)
	}
	t.Logf("%d requests retried on another replica; %d webhook messages; %d rows received again (retries deduplicated by webhook-id)", c.retries.Load(), rcv.messages, retried)
	rcv.mu.Unlock()

	// Purge everything: no chunk, claim or blob is left.
	if _, err := c.send(0, "DELETE", "/api/v1/data", c.apiKey, nil, nil, http.StatusOK); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, c.pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	deadline = time.Now().Add(60 * time.Second)
	for {
		var chunkRows, claims, unpurged int
		err := conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM chunks), (SELECT count(*) FROM claim_runs),
			(SELECT count(*) FROM imports WHERE purged_at IS NULL)`).Scan(&chunkRows, &claims, &unpurged)
		if err != nil {
			t.Fatal(err)
		}
		blobs, err := c.s3.ListBucket("intake", nil, gofakes3.ListBucketPage{})
		if err != nil {
			t.Fatal(err)
		}
		if chunkRows == 0 && claims == 0 && unpurged == 0 && len(blobs.Contents) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a minute after the purge: %d chunk rows, %d claim runs, %d imports not purged, %d blobs",
				chunkRows, claims, unpurged, len(blobs.Contents))
		}
		time.Sleep(200 * time.Millisecond)
	}
	c.stop()
}

// stop sends every replica SIGTERM at once and waits for each to exit 0.
func (c *cluster) stop() {
	c.t.Helper()
	for _, r := range c.replicas {
		if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			c.t.Fatal(err)
		}
	}
	for _, r := range c.replicas {
		r.wait(c.t)
	}
}

// vmHWM is a process's peak resident set from /proc, in MB.
func vmHWM(pid int) float64 {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// TestTenMillionRows sends one import of 10M rows (the 1M bench file ten
// times, ids and emails made new each time) through the upload API to
// three replicas in stored mode on PostgreSQL + S3, and prints the time
// and each replica's peak RSS. Env-gated (INTAKE_BENCH_10M=1): it takes
// minutes and ~1.3 GB of traffic.
func TestTenMillionRows(t *testing.T) {
	if os.Getenv("INTAKE_BENCH_10M") == "" {
		t.Skip("set INTAKE_BENCH_10M=1 to measure")
	}
	const copies, rowsPer, clients = 10, 5000, 6
	path := cmp.Or(os.Getenv("INTAKE_BENCH_FILE"), "/tmp/bench-data/rows-1m.csv")
	f, err := os.Open(path)
	if err != nil {
		t.Skip(err)
	}
	f.Close()
	c := newCluster(t, 3)
	_, key := c.importer()
	create, _ := json.Marshal(map[string]any{"importer": key, "columns": []string{"id", "first_name", "last_name", "email",
		"phone", "signup_date", "amount", "country", "active", "notes"},
		"source": map[string]any{"format": "csv", "size_bytes": 1_300_000_000}, "rows": 10_000_000})
	var up struct {
		ImportID    string `json:"import_id"`
		UploadToken string `json:"upload_token"`
	}
	if _, err := c.send(0, "POST", "/api/v1/uploads", "", create, &up, http.StatusCreated); err != nil {
		t.Fatal(err)
	}
	type job struct {
		n    int
		body []byte
	}
	jobs := make(chan job, clients)
	var wg sync.WaitGroup
	var failed atomic.Value
	if err := c.pg.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	start, self0 := time.Now(), benchrun.ProcessCPU(os.Getpid())
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if _, err := c.send(j.n, "PUT", fmt.Sprintf("/api/v1/uploads/%s/chunks/%d", up.ImportID, j.n), up.UploadToken,
					j.body, nil, http.StatusOK); err != nil {
					failed.Store(err)
				}
			}
		}()
	}
	// The file read ten times, a chunk at a time: the test process holds
	// a few chunks, not the 1.3 GB.
	total, n := 0, 0
	for cp := range copies {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		r := csv.NewReader(f)
		r.ReuseRecord = false
		if _, err := r.Read(); err != nil {
			t.Fatal(err)
		}
		batch := make([][]string, 0, rowsPer)
		flush := func() {
			b, _ := json.Marshal(map[string]any{"first_row": total - len(batch), "rows": batch})
			jobs <- job{n, b}
			n++
			batch = make([][]string, 0, rowsPer)
		}
		for {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			rec[0] = fmt.Sprintf("%d-%s", cp, rec[0])
			rec[3] = fmt.Sprintf("c%d.%s", cp, rec[3])
			batch = append(batch, rec)
			total++
			if len(batch) == rowsPer {
				flush()
			}
		}
		if len(batch) > 0 {
			flush()
		}
		f.Close()
	}
	close(jobs)
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		t.Fatal(err)
	}
	uploaded := time.Since(start)
	done, _ := json.Marshal(map[string]any{"chunks": n, "rows": total, "rows_skipped": 0})
	if _, err := c.send(0, "POST", "/api/v1/uploads/"+up.ImportID+"/complete", up.UploadToken, done, nil, http.StatusOK); err != nil {
		t.Fatal(err)
	}
	wall := time.Since(start)
	var im struct {
		Status string `json:"status"`
		Rows   int64  `json:"rows"`
	}
	if _, err := c.send(1, "GET", "/api/v1/imports/"+up.ImportID, c.apiKey, nil, &im, http.StatusOK); err != nil || im.Status != "completed" || im.Rows != int64(total) {
		t.Fatalf("import: %+v (%v), want completed with %d rows", im, err, total)
	}
	pgCPU, err := c.pg.Since(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("PostgreSQL CPU (the replicas' backends and PostgreSQL's own processes) %.1f s, test process (clients, CSV, S3 server) %.1f s",
		pgCPU, benchrun.ProcessCPU(os.Getpid())-self0)
	for i, r := range c.replicas {
		t.Logf("replica %d: peak RSS (VmHWM) %.0f MB, CPU %.1f s", i, vmHWM(r.cmd.Process.Pid), benchrun.ProcessCPU(r.cmd.Process.Pid))
	}
	t.Logf("%d rows in %d chunks: uploaded in %.1f s, completed at %.1f s = %.0f rows/s", total, n, uploaded.Seconds(), wall.Seconds(),
		float64(total)/wall.Seconds())
	c.stop()
}
