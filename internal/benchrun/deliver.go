package benchrun

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/intakehq/intake/internal/benchrun/rawlimit"
	"github.com/intakehq/intake/internal/server/servertest"
)

// Receiver is a loopback webhook receiver that reads and discards each
// body, answers 204, keeps the sizes of the bodies it received, and
// signals each import.completed on Done. Close stops it.
type Receiver struct {
	*httptest.Server
	Done  chan struct{}
	mu    sync.Mutex
	sizes []int
}

// NewReceiver starts a receiver on 127.0.0.1.
func NewReceiver() *Receiver {
	rc := &Receiver{Done: make(chan struct{}, 1)}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		head := make([]byte, 32)
		n, _ := io.ReadFull(req.Body, head)
		rest, _ := io.Copy(io.Discard, req.Body)
		w.WriteHeader(http.StatusNoContent)
		rc.mu.Lock()
		rc.sizes = append(rc.sizes, n+int(rest))
		rc.mu.Unlock()
		if bytes.HasPrefix(head[:n], []byte(`{"type":"import.completed"`)) {
			rc.Done <- struct{}{}
		}
	}))
	return rc
}

// deliver replays the stored import to a webhook on a loopback receiver,
// through the whole server path (the job queue picks it up, chunks read
// and decrypted, rows cut into 1,000-row batches, encoded, signed, sent
// through the outbound guard, every attempt recorded), until the receiver
// has import.completed; beside it a bare net/http client posting as many
// requests of the same sizes to a bare sink.
func (r *run) deliver(env *servertest.Env, importerID, importID string) {
	rc := NewReceiver()
	defer rc.Close()
	var dest struct{ ID string }
	if code := env.Do(r.tb, "POST", "/api/v1/importers/"+importerID+"/destinations", env.APIKey,
		map[string]any{"type": "webhook", "url": rc.URL}, &dest); code != http.StatusCreated {
		r.tb.Fatalf("create the destination: status %d", code)
	}
	cost, err := rawlimit.Measure(func() error {
		if code := env.Do(r.tb, "POST", "/api/v1/imports/"+importID+"/deliveries/"+dest.ID+"/replay", env.APIKey, nil, nil); code != http.StatusAccepted {
			return fmt.Errorf("replay: status %d", code)
		}
		select {
		case <-rc.Done:
			return nil
		case <-time.After(30 * time.Minute):
			return fmt.Errorf("the delivery did not finish in 30 minutes")
		}
	})
	if err != nil {
		r.tb.Fatal(err)
	}
	rc.mu.Lock()
	bodies := make([][]byte, len(rc.sizes))
	total := 0
	for i, n := range rc.sizes {
		bodies[i] = bytes.Repeat([]byte{'x'}, n)
		total += n
	}
	rc.mu.Unlock()
	sink, err := rawlimit.NewSink()
	if err != nil {
		r.tb.Fatal(err)
	}
	defer sink.Close()
	raw, err := rawlimit.PostAll(sink.URL, bodies)
	if err != nil {
		r.tb.Fatal(err)
	}
	r.add(Figure{Step: "webhook delivery to a loopback receiver", Unit: "rows", N: float64(r.rows), Cost: cost,
		Limit: "bare HTTP sink", Raw: raw, Note: fmt.Sprintf("%d requests, %.1f MB", len(bodies), float64(total)/1e6)})
}
