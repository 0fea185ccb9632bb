package cli

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestHealthcheck: the command exits 0 only when the page it asks for
// answers 200, on the address --addr names, and refuses other paths.
func TestHealthcheck(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			w.Write([]byte("ok\n"))
		default:
			http.Error(w, "database unavailable", http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"--addr", addr}, exitOK},
		{[]string{"--addr", addr, "--path", "/readyz"}, exitFailure},
		{[]string{"--addr", addr, "--path", "/metrics"}, exitInvalid},
		{[]string{"--addr", "127.0.0.1:1"}, exitFailure}, // nothing listens
	} {
		var out, errOut strings.Builder
		if got := runHealthcheck(context.Background(), tc.args, Streams{Out: &out, Err: &errOut}); got != tc.want {
			t.Errorf("%v: exit %d, want %d; stderr %q", tc.args, got, tc.want, errOut.String())
		}
	}
}

func TestProbeHost(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]string{
		"0.0.0.0:8080":   "127.0.0.1",
		":8080":          "127.0.0.1",
		"[::]:8080":      "::1",
		"localhost:8080": "127.0.0.1",
		"127.0.0.2:8080": "127.0.0.2",
		"10.1.2.3:8080":  "10.1.2.3", // bound to one interface: only there
	} {
		if got := probeHost(addr); got != want {
			t.Errorf("probeHost(%q) = %q, want %q", addr, got, want)
		}
	}
}
