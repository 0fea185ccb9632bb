package webhook

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// MaxBodyBytes bounds what a receiver reads: a 10,000-row batch of wide
// rows fits with room to spare.
const MaxBodyBytes = 64 << 20

// Listener is a receiver for trying destinations out (`intake
// webhook-listen`) and the model docs/webhooks.md describes: it verifies
// every message, deduplicates by webhook-id, and prints one line per event
// with ids and counts. Rows are printed only when ShowRows is set, since
// they are the end users' data.
type Listener struct {
	// Secrets verify messages; two during a rotation.
	Secrets []string
	// Out receives one line per event.
	Out io.Writer
	// ShowRows prints each payload in full as well.
	ShowRows bool
	// Tolerance is the accepted clock skew (default 5 minutes).
	Tolerance time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu   sync.Mutex
	seen map[string]bool
}

// event is the part of a payload the listener prints.
type event struct {
	Type     string `json:"type"`
	ImportID string `json:"import_id"`
	Importer string `json:"importer"`
	Batch    *struct {
		Index    int               `json:"index"`
		Count    int               `json:"count"`
		FirstRow int               `json:"first_row"`
		Rows     []json.RawMessage `json:"rows"`
	} `json:"batch"`
	Rows    int `json:"rows"`
	Batches int `json:"batches"`
}

// ServeHTTP verifies and prints one message: 204 when accepted (also for
// a duplicate, which is printed as such), 401 when the signature or
// timestamp is wrong, 400 when the body is not a payload.
func (l *Listener) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		http.Error(w, "body too large or unreadable", http.StatusRequestEntityTooLarge)
		return
	}
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	tolerance := l.Tolerance
	if tolerance <= 0 {
		tolerance = 5 * time.Minute
	}
	id := r.Header.Get(HeaderID)
	if err := Verify(l.Secrets, r.Header, body, now(), tolerance); err != nil {
		fmt.Fprintf(l.Out, "rejected id=%s: %v\n", id, err)
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var ev event
	if err := json.Unmarshal(body, &ev); err != nil {
		fmt.Fprintf(l.Out, "rejected id=%s: body is not JSON\n", id)
		http.Error(w, "body is not JSON", http.StatusBadRequest)
		return
	}
	l.mu.Lock()
	if l.seen == nil {
		l.seen = map[string]bool{}
	}
	dup := l.seen[id]
	l.seen[id] = true
	l.mu.Unlock()

	line := fmt.Sprintf("%s id=%s import=%s importer=%s", ev.Type, id, ev.ImportID, ev.Importer)
	switch {
	case ev.Batch != nil:
		line += fmt.Sprintf(" batch=%d rows=%d first_row=%d", ev.Batch.Index, len(ev.Batch.Rows), ev.Batch.FirstRow)
	case ev.Type == TypeCompleted:
		line += fmt.Sprintf(" rows=%d batches=%d", ev.Rows, ev.Batches)
	}
	if dup {
		line += " duplicate"
	}
	fmt.Fprintln(l.Out, line)
	if l.ShowRows && !dup {
		fmt.Fprintf(l.Out, "%s\n", body)
	}
	w.WriteHeader(http.StatusNoContent)
}
