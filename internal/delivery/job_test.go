package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/intakehq/intake/internal/delivery/destination"
	"github.com/intakehq/intake/internal/delivery/outbound"
	"github.com/intakehq/intake/internal/delivery/webhook"
	"github.com/intakehq/intake/internal/rows"
)

// memStore is an in-memory Store: one delivery, its rows, its log.
type memStore struct {
	mu       sync.Mutex
	d        Job
	rows     [][]*string
	attempts []destination.Attempt
	disabled []string
	// failRecordAt makes Record fail for this acknowledged batch index,
	// as if the process died between the receiver's 2xx and the commit.
	failRecordAt int
}

func (m *memStore) Delivery(_ context.Context, id string) (Job, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if id != m.d.ID {
		return Job{}, ErrNotFound
	}
	return m.d, nil
}

func (m *memStore) Record(_ context.Context, _ string, a destination.Attempt, p Progress) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if a.Outcome == destination.Delivered && a.Batch >= 0 && a.Batch == m.failRecordAt {
		m.failRecordAt = -1
		return errors.New("simulated crash before commit")
	}
	m.attempts = append(m.attempts, a)
	m.d.Progress = p
	return nil
}

func (m *memStore) DisableDestination(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.disabled = append(m.disabled, id)
	m.d.Destination.Disabled = true
	return nil
}

func (m *memStore) Batches(ctx context.Context, _ string, size, from int) iter.Seq2[rows.Batch, error] {
	return func(yield func(rows.Batch, error) bool) {
		for i := from * size; i < len(m.rows); i += size {
			if !yield(rows.Batch{Index: i / size, FirstRow: i, Rows: m.rows[i:min(len(m.rows), i+size)]}, nil) {
				return
			}
		}
	}
}

func (m *memStore) progress() Progress {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.d.Progress
}

// receiver is a webhook endpoint on 127.0.0.1 that verifies signatures and
// deduplicates by webhook-id, as docs/webhooks.md tells receivers to.
type receiver struct {
	mu     sync.Mutex
	secret string
	seen   map[string]bool
	order  []string // ids in first-arrival order
	rows   []string // the id column of every row, deduplicated
	hits   int
	dups   int
	// respond, when set, answers instead of accepting (n counts requests).
	respond func(w http.ResponseWriter, n int) bool
	srv     *httptest.Server
	// delay holds each request this long before handling it, and
	// inFlight/maxInFlight measure how many overlap.
	delay       time.Duration
	inFlight    atomic.Int32
	maxInFlight atomic.Int32
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	r := &receiver{secret: webhook.NewSecret(), seen: map[string]bool{}}
	r.srv = httptest.NewServer(r)
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	n := r.inFlight.Add(1)
	defer r.inFlight.Add(-1)
	for m := r.maxInFlight.Load(); n > m && !r.maxInFlight.CompareAndSwap(m, n); m = r.maxInFlight.Load() {
	}
	time.Sleep(r.delay)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hits++
	if r.respond != nil && r.respond(w, r.hits) {
		return
	}
	if err := webhook.Verify([]string{r.secret}, req.Header, body, time.Now(), time.Minute); err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	id := req.Header.Get(webhook.HeaderID)
	if r.seen[id] {
		r.dups++
		return
	}
	r.seen[id] = true
	r.order = append(r.order, id)
	var p struct {
		Type  string
		Batch struct {
			Rows []map[string]*string
		}
	}
	if err := json.Unmarshal(body, &p); err != nil {
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	for _, row := range p.Batch.Rows {
		r.rows = append(r.rows, *row["id"])
	}
}

func str(s string) *string { return &s }

func setup(t *testing.T, rows int) (*Worker, *memStore, *receiver) {
	t.Helper()
	rcv := newReceiver(t)
	st := &memStore{failRecordAt: -1}
	for i := range rows {
		st.rows = append(st.rows, []*string{str(strconv.Itoa(i)), str("name " + strconv.Itoa(i))})
	}
	st.d = Job{
		ID:        "dlv1",
		BatchSize: 100,
		Import:    destination.Import{ID: "imp1", Importer: "pub1", Columns: []string{"id", "name"}, Rows: rows},
		Destination: Target{
			ID: "dst1", Kind: Webhook,
			Schedule: destination.Schedule{time.Second, 2 * time.Second, 3 * time.Second},
			Webhook:  webhook.Endpoint{URL: rcv.srv.URL, Secrets: []string{rcv.secret}},
		},
	}
	w, err := NewWorker(WorkerConfig{
		Store:          st,
		Policy:         outbound.NewPolicy([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}),
		Logger:         slog.New(slog.DiscardHandler),
		RequestTimeout: 2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return w, st, rcv
}

// exactRows checks the receiver ended with rows 0..n-1, each once, in order.
func exactRows(t *testing.T, rcv *receiver, n int) {
	t.Helper()
	if len(rcv.rows) != n {
		t.Fatalf("receiver has %d rows, want %d", len(rcv.rows), n)
	}
	for i, id := range rcv.rows {
		if id != strconv.Itoa(i) {
			t.Fatalf("row %d is %s: out of order or duplicated", i, id)
		}
	}
}

func TestDeliversInOrderWithStableIDs(t *testing.T) {
	t.Parallel()
	w, st, rcv := setup(t, 250)
	step, err := w.Run(context.Background(), "dlv1")
	if err != nil || !step.Done {
		t.Fatalf("Run = %+v, %v", step, err)
	}
	exactRows(t, rcv, 250)
	want := []string{"msg_dlv1_0", "msg_dlv1_1", "msg_dlv1_2", "msg_dlv1_completed"}
	if len(rcv.order) != len(want) {
		t.Fatalf("ids %v", rcv.order)
	}
	for i := range want {
		if rcv.order[i] != want[i] {
			t.Fatalf("ids %v, want %v", rcv.order, want)
		}
	}
	if p := st.progress(); p.State != Delivered || p.Acked != 3 {
		t.Fatalf("progress %+v", p)
	}
	if m := rcv.maxInFlight.Load(); m != 1 {
		t.Fatalf("%d requests overlapped; in-order delivery sends one at a time", m)
	}
	if len(st.attempts) != 4 || st.attempts[3].Batch != -1 || st.attempts[0].Status != 200 || st.attempts[0].Number != 1 {
		t.Fatalf("attempts %+v", st.attempts)
	}
	// Running a finished delivery again sends nothing.
	if step, err := w.Run(context.Background(), "dlv1"); err != nil || !step.Done || rcv.hits != 4 {
		t.Fatalf("rerun: %+v %v hits %d", step, err, rcv.hits)
	}
}

func TestRetriesOnScheduleThenDelivers(t *testing.T) {
	t.Parallel()
	w, st, rcv := setup(t, 150)
	rcv.respond = func(w http.ResponseWriter, n int) bool {
		if n == 2 || n == 3 { // batch 1 fails twice
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}
		return false
	}
	ctx := context.Background()
	var waits []time.Duration
	for range 5 {
		step, err := w.Run(ctx, "dlv1")
		if err != nil {
			t.Fatal(err)
		}
		if step.Done {
			break
		}
		waits = append(waits, step.Wait)
	}
	if len(waits) != 2 || waits[0] != time.Second || waits[1] != 2*time.Second {
		t.Fatalf("waits %v, want the schedule's 1s then 2s", waits)
	}
	exactRows(t, rcv, 150)
	var numbers []int
	for _, a := range st.attempts {
		if a.Batch == 1 {
			numbers = append(numbers, a.Number)
		}
	}
	if len(numbers) != 3 || numbers[2] != 3 {
		t.Fatalf("batch 1 attempt numbers %v", numbers)
	}
	if st.attempts[1].Outcome != destination.Retry || st.attempts[1].Status != 503 || st.attempts[1].NextRetry.IsZero() {
		t.Fatalf("failed attempt %+v", st.attempts[1])
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	w, st, rcv := setup(t, 10)
	rcv.respond = func(w http.ResponseWriter, n int) bool {
		if n == 1 {
			w.Header().Set("Retry-After", "42")
			w.WriteHeader(http.StatusTooManyRequests)
			return true
		}
		return false
	}
	step, err := w.Run(context.Background(), "dlv1")
	if err != nil || step.Done || step.Wait != 42*time.Second {
		t.Fatalf("Run = %+v, %v; want a 42 s wait", step, err)
	}
	if a := st.attempts[0]; a.Status != 429 || a.RetryAfter != 42*time.Second {
		t.Fatalf("attempt %+v", a)
	}
	if step, err := w.Run(context.Background(), "dlv1"); err != nil || !step.Done {
		t.Fatalf("second run %+v %v", step, err)
	}
	exactRows(t, rcv, 10)
}

func TestGoneDisablesTheDestination(t *testing.T) {
	t.Parallel()
	w, st, rcv := setup(t, 300)
	rcv.respond = func(w http.ResponseWriter, n int) bool {
		if n == 2 {
			w.WriteHeader(http.StatusGone)
			return true
		}
		return false
	}
	step, err := w.Run(context.Background(), "dlv1")
	if err != nil || !step.Done {
		t.Fatalf("Run = %+v, %v", step, err)
	}
	if p := st.progress(); p.State != Disabled || p.Acked != 1 {
		t.Fatalf("progress %+v", p)
	}
	if len(st.disabled) != 1 || st.disabled[0] != "dst1" {
		t.Fatalf("disabled %v", st.disabled)
	}
	if rcv.hits != 2 {
		t.Fatalf("%d requests after a 410", rcv.hits)
	}
}

func TestExhaustedScheduleFails(t *testing.T) {
	t.Parallel()
	w, st, rcv := setup(t, 10)
	rcv.respond = func(w http.ResponseWriter, _ int) bool {
		w.Header().Set("Location", "/elsewhere")
		w.WriteHeader(http.StatusMovedPermanently)
		return true
	}
	runs := 0
	for {
		runs++
		step, err := w.Run(context.Background(), "dlv1")
		if err != nil {
			t.Fatal(err)
		}
		if step.Done {
			break
		}
	}
	if a := st.attempts[3]; a.Status != http.StatusMovedPermanently || a.Outcome != destination.Retry || !a.NextRetry.IsZero() {
		t.Fatalf("last attempt %+v", a)
	}
	if runs != 4 || st.progress().State != Failed || rcv.hits != 4 {
		t.Fatalf("runs %d hits %d progress %+v; want 4 attempts (1 + a 3-step schedule)", runs, rcv.hits, st.progress())
	}
}

func TestInvalidEndpointFailsWithoutSending(t *testing.T) {
	t.Parallel()
	w, st, rcv := setup(t, 10)
	st.d.Destination.Webhook.URL = "ftp://example.com/"
	step, err := w.Run(context.Background(), "dlv1")
	if err != nil || !step.Done || st.progress().State != Failed || st.attempts[0].Outcome != destination.Invalid || rcv.hits != 0 {
		t.Fatalf("Run = %+v, %v; attempts %+v", step, err, st.attempts)
	}
	if _, err := w.Run(context.Background(), "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown delivery: %v", err)
	}
}

// A crash between the receiver's 2xx and the commit of the progress
// redelivers that one batch, with the same webhook-id; the deduplicating
// receiver ends with exactly the sent rows.
func TestCrashBeforeCommitRedeliversOneBatch(t *testing.T) {
	t.Parallel()
	w, st, rcv := setup(t, 500)
	st.failRecordAt = 2
	if _, err := w.Run(context.Background(), "dlv1"); err == nil {
		t.Fatal("Run survived the simulated crash")
	}
	if p := st.progress(); p.Acked != 2 {
		t.Fatalf("progress after crash %+v", p)
	}
	if step, err := w.Run(context.Background(), "dlv1"); err != nil || !step.Done {
		t.Fatalf("resumed run %+v %v", step, err)
	}
	if rcv.dups != 1 {
		t.Fatalf("%d duplicate deliveries, want exactly the in-flight batch", rcv.dups)
	}
	exactRows(t, rcv, 500)
}

// Cancelling the run mid-delivery (shutdown) neither loses nor duplicates
// more than the batch in flight.
func TestCancelMidDeliveryResumes(t *testing.T) {
	t.Parallel()
	w, st, rcv := setup(t, 2000)
	ctx, cancel := context.WithCancel(context.Background())
	rcv.respond = func(_ http.ResponseWriter, n int) bool {
		if n == 7 {
			cancel()
		}
		return false
	}
	step, err := w.Run(ctx, "dlv1")
	if err != nil || step.Done || step.Wait != 0 {
		t.Fatalf("cancelled run %+v %v; want an immediate resume", step, err)
	}
	if p := st.progress(); p.Acked >= 20 || p.Failures != 0 {
		t.Fatalf("progress %+v", p)
	}
	if step, err := w.Run(context.Background(), "dlv1"); err != nil || !step.Done {
		t.Fatalf("resumed run %+v %v", step, err)
	}
	if rcv.dups > 1 {
		t.Fatalf("%d duplicates", rcv.dups)
	}
	exactRows(t, rcv, 2000)
}

func TestSliceYields(t *testing.T) {
	t.Parallel()
	w, st, rcv := setup(t, 300)
	w.slice = time.Nanosecond
	runs := 0
	for {
		runs++
		step, err := w.Run(context.Background(), "dlv1")
		if err != nil {
			t.Fatal(err)
		}
		if step.Done {
			break
		}
		if step.Wait != 0 {
			t.Fatalf("yield waits %v", step.Wait)
		}
	}
	if runs != 4 || st.progress().State != Delivered {
		t.Fatalf("runs %d, progress %+v", runs, st.progress())
	}
	exactRows(t, rcv, 300)
}

// sameRows checks the receiver ended with rows 0..n-1, each once, in any
// order.
func sameRows(t *testing.T, rcv *receiver, n int) {
	t.Helper()
	got := slices.Clone(rcv.rows)
	slices.SortFunc(got, func(a, b string) int {
		x, _ := strconv.Atoi(a)
		y, _ := strconv.Atoi(b)
		return x - y
	})
	rcv.rows = got
	exactRows(t, rcv, n)
}

func TestParallelDeliveryIsCapped(t *testing.T) {
	t.Parallel()
	w, st, rcv := setup(t, 2000)
	st.d.Parallel = 4
	rcv.delay = 20 * time.Millisecond
	step, err := w.Run(context.Background(), "dlv1")
	if err != nil || !step.Done || st.progress().State != Delivered {
		t.Fatalf("Run = %+v, %v, %+v", step, err, st.progress())
	}
	if m := rcv.maxInFlight.Load(); m < 2 || m > 4 {
		t.Fatalf("%d requests in flight at most, want 2..4", m)
	}
	if last := rcv.order[len(rcv.order)-1]; last != "msg_dlv1_completed" {
		t.Fatalf("last message %s, want import.completed after every batch", last)
	}
	sameRows(t, rcv, 2000)
}

// A failure among parallel batches retries from the first unacknowledged
// one; batches that were in flight behind it come again and are
// deduplicated.
func TestParallelDeliveryRetries(t *testing.T) {
	t.Parallel()
	w, st, rcv := setup(t, 2000)
	st.d.Parallel = 4
	rcv.respond = func(w http.ResponseWriter, n int) bool {
		if n == 6 {
			w.WriteHeader(http.StatusInternalServerError)
			return true
		}
		return false
	}
	step, err := w.Run(context.Background(), "dlv1")
	if err != nil || step.Done || step.Wait != time.Second {
		t.Fatalf("first run %+v %v", step, err)
	}
	step, err = w.Run(context.Background(), "dlv1")
	if err != nil || !step.Done {
		t.Fatalf("second run %+v %v", step, err)
	}
	if rcv.dups > 4 {
		t.Fatalf("%d duplicates, want at most the batches in flight", rcv.dups)
	}
	sameRows(t, rcv, 2000)
}
