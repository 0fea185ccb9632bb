package webhook

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake/internal/delivery/destination"
	"github.com/intakehq/intake/internal/delivery/outbound"
)

func loopback() *outbound.Policy {
	return outbound.NewPolicy([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")})
}

func TestSendClassifiesResponses(t *testing.T) {
	t.Parallel()
	httpDate := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	tests := []struct {
		name       string
		handler    http.HandlerFunc
		outcome    destination.Outcome
		status     int
		wantErr    error
		retryAfter time.Duration // lower bound
		errHas     string
	}{
		{"200", func(w http.ResponseWriter, r *http.Request) {}, destination.Delivered, 200, nil, 0, ""},
		{"204", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }, destination.Delivered, 204, nil, 0, ""},
		{"410 disables", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(410) }, destination.Gone, 410, ErrGone, 0, ""},
		{"500 retries", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }, destination.Retry, 500, ErrStatus, 0, "500"},
		{"429 with seconds", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(429)
		}, destination.Retry, 429, ErrStatus, 120 * time.Second, "429"},
		{"503 with a date", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", httpDate)
			w.WriteHeader(503)
		}, destination.Retry, 503, ErrStatus, 80 * time.Second, "503"},
		{"302 is a failure", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/x", http.StatusFound)
		}, destination.Retry, 302, ErrStatus, 0, "redirects are not followed"},
		{"400 is a failure", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(400)
			io.WriteString(w, "the receiver's body is never recorded")
		}, destination.Retry, 400, ErrStatus, 0, "400"},
		{"slow receiver times out", func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body) // so the server notices the client leaving
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}, destination.Retry, 0, nil, 0, "timeout"},
		{"connection closed mid-response", func(w http.ResponseWriter, r *http.Request) {
			conn, buf, err := http.NewResponseController(w).Hijack()
			if err != nil {
				panic(err)
			}
			buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
			buf.Flush()
			conn.Close()
		}, destination.Delivered, 200, nil, 0, ""},
		{"connection closed before a response", func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				panic(err)
			}
			conn.Close()
		}, destination.Retry, 0, nil, 0, "EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			target, err := NewSender(loopback(), 300*time.Millisecond).Target(Endpoint{URL: srv.URL, Secrets: []string{NewSecret()}})
			if err != nil {
				t.Fatal(err)
			}
			a, err := target.Send(context.Background(), Message{ID: "msg_1", Batch: 0, Body: []byte(`{"secret-cell":"canary-7731"}`)})
			if a.Outcome != tt.outcome || a.Status != tt.status {
				t.Fatalf("outcome %s status %d, want %s %d (err %v)", a.Outcome, a.Status, tt.outcome, tt.status, err)
			}
			if (err == nil) != (tt.outcome == destination.Delivered) {
				t.Fatalf("err = %v with outcome %s", err, a.Outcome)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if !strings.Contains(a.Error, tt.errHas) {
				t.Fatalf("attempt error %q lacks %q", a.Error, tt.errHas)
			}
			if a.RetryAfter < tt.retryAfter || tt.retryAfter == 0 && a.RetryAfter != 0 {
				t.Fatalf("RetryAfter = %v, want ≥ %v", a.RetryAfter, tt.retryAfter)
			}
			if strings.Contains(a.Error, "canary") || strings.Contains(a.Error, "never recorded") || strings.Contains(a.Error, srv.URL) {
				t.Fatalf("attempt error leaks: %q", a.Error)
			}
			if a.Latency <= 0 || a.Message != "msg_1" {
				t.Fatalf("attempt not filled: %+v", a)
			}
		})
	}
}

func TestSendSignsExactlyTheBytesSent(t *testing.T) {
	t.Parallel()
	secret := NewSecret()
	got := make(chan error, 1)
	var hdr http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		hdr = r.Header.Clone()
		got <- Verify([]string{secret}, r.Header, body, time.Now(), time.Minute)
	}))
	defer srv.Close()
	target, err := NewSender(loopback(), 0).Target(Endpoint{URL: srv.URL + "/hook?token=abc", Secrets: []string{secret}, Headers: map[string]string{"X-Team": "blue"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := target.Send(context.Background(), Message{ID: BatchID("dlv_1", 3), Batch: 3, Body: []byte(`{"a":1}`)}); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatalf("receiver could not verify: %v", err)
	}
	if hdr.Get("X-Team") != "blue" || hdr.Get("Content-Type") != "application/json" || hdr.Get(HeaderID) != "msg_dlv_1_3" {
		t.Fatalf("headers %v", hdr)
	}
}

func TestTargetRejectsBadEndpoints(t *testing.T) {
	t.Parallel()
	s := NewSender(outbound.NewPolicy(nil), 0)
	good := NewSecret()
	for _, ep := range []Endpoint{
		{URL: "ftp://example.com/", Secrets: []string{good}},
		{URL: "http://127.0.0.1/", Secrets: []string{good}},
		{URL: "http://2130706433/", Secrets: []string{good}},
		{URL: "https://example.com/", Secrets: nil},
		{URL: "https://example.com/", Secrets: []string{"not-a-secret"}},
		{URL: "https://example.com/", Secrets: []string{good}, Headers: map[string]string{"webhook-signature": "v1,forged"}},
		{URL: "https://example.com/", Secrets: []string{good}, Headers: map[string]string{"X-Ok": "a\r\nInjected: 1"}},
		{URL: "https://example.com/", Secrets: []string{good}, Headers: map[string]string{"Bad Name": "x"}},
	} {
		if _, err := s.Target(ep); !errors.Is(err, ErrInvalid) {
			t.Errorf("Target(%+v) = %v, want ErrInvalid", ep, err)
		}
	}
}

// Without the allow-list, a loopback receiver is refused at connect time
// even when the URL passed the spelling check (a name resolving to it).
func TestSendRefusedByGuard(t *testing.T) {
	t.Parallel()
	hit := false
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hit = true }))
	defer srv.Close()
	s := NewSender(outbound.NewPolicy(nil), 0)
	port := srv.URL[strings.LastIndex(srv.URL, ":"):]
	target, err := NewSender(loopback(), 0).Target(Endpoint{URL: "http://localhost" + port, Secrets: []string{NewSecret()}})
	if err != nil {
		t.Fatal(err)
	}
	target.s = s // checked under a lenient policy, sent under the strict one
	a, err := target.Send(context.Background(), Message{ID: "m", Body: []byte("{}")})
	if !errors.Is(err, outbound.ErrForbidden) || a.Outcome != destination.Retry || hit {
		t.Fatalf("Send = %+v, %v (hit %v); want a refusal", a, err, hit)
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := map[string]time.Duration{
		"": 0, "0": 0, "-5": 0, "abc": 0, "30": 30 * time.Second, "999999999": destination.MaxRetryAfter,
		now.Add(time.Hour).Format(http.TimeFormat):  time.Hour,
		now.Add(-time.Hour).Format(http.TimeFormat): 0,
	}
	for in, want := range tests {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

// An endpoint whose certificate does not verify is a failed attempt (and
// retried): verification cannot be turned off.
func TestSendRefusesAnInvalidCertificate(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	target, err := NewSender(loopback(), 0).Target(Endpoint{URL: srv.URL, Secrets: []string{NewSecret()}})
	if err != nil {
		t.Fatal(err)
	}
	a, err := target.Send(context.Background(), Message{ID: "m", Body: []byte("{}")})
	if err == nil || a.Outcome != destination.Retry || a.Status != 0 || !strings.Contains(a.Error, "certificate") {
		t.Fatalf("Send = %+v, %v", a, err)
	}
}
