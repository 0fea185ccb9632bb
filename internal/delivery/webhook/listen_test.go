package webhook

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/intakehq/intake/internal/delivery/destination"
	"github.com/intakehq/intake/internal/rows"
)

// lockedBuffer collects the listener's output across handler goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestListenerPrintsCountsNotRows(t *testing.T) {
	t.Parallel()
	secret := NewSecret()
	var out lockedBuffer
	srv := httptest.NewServer(&Listener{Secrets: []string{secret}, Out: &out})
	defer srv.Close()

	target, err := NewSender(loopback(), 0).Target(Endpoint{URL: srv.URL, Secrets: []string{secret}})
	if err != nil {
		t.Fatal(err)
	}
	enc := NewEncoder(destination.Import{ID: "imp_9", Importer: "pub_9", Columns: []string{"email"}})
	b := rows.Batch{Index: 0, FirstRow: 0, Rows: [][]*string{{ptr("canary@leak.test")}, {nil}}}
	ctx := context.Background()
	for range 2 { // the second is a redelivery
		if a, err := target.SendBatch(ctx, enc, "d1", b); err != nil || a.Status != 204 {
			t.Fatalf("send: %+v %v", a, err)
		}
	}
	if _, err := target.SendCompleted(ctx, enc, "d1", 2, 1); err != nil {
		t.Fatal(err)
	}
	wrong, _ := NewSender(loopback(), 0).Target(Endpoint{URL: srv.URL, Secrets: []string{NewSecret()}})
	if a, _ := wrong.SendBatch(ctx, enc, "d2", b); a.Status != 401 {
		t.Fatalf("forged message answered %d", a.Status)
	}

	got := out.String()
	for _, want := range []string{
		"import.batch id=msg_d1_0 import=imp_9 importer=pub_9 batch=0 rows=2 first_row=0\n",
		"import.batch id=msg_d1_0 import=imp_9 importer=pub_9 batch=0 rows=2 first_row=0 duplicate\n",
		"import.completed id=msg_d1_completed import=imp_9 importer=pub_9 rows=2 batches=1\n",
		"rejected id=msg_d2_0: no signature matches\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "canary") {
		t.Errorf("rows printed without ShowRows:\n%s", got)
	}
}
