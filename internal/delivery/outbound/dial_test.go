package outbound

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

// Every test here dials loopback only: a server on 127.0.0.1 that the guard
// must refuse, or let through once the allow-list names 127.0.0.0/8.

func loopbackAllowed(t *testing.T) *Policy {
	t.Helper()
	return NewPolicy([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")})
}

func TestHTTPClientRefusesLoopbackWithoutAllowList(t *testing.T) {
	t.Parallel()
	hit := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hit <- struct{}{} }))
	defer srv.Close()

	_, err := NewPolicy(nil).HTTPClient(ClientOptions{}).Get(srv.URL)
	if !errors.Is(err, ErrForbidden) {
		t.Fatalf("GET %s = %v, want ErrForbidden", srv.URL, err)
	}
	select {
	case <-hit:
		t.Fatal("the request reached the server")
	default:
	}
}

func TestHTTPClientAllowsListedRange(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer srv.Close()

	resp, err := loopbackAllowed(t).HTTPClient(ClientOptions{}).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("status %d", resp.StatusCode)
	}
}

// A name is checked on the address it resolves to, at connect time: this is
// the DNS-rebinding defence. "localhost" resolves to loopback through
// /etc/hosts, so no query leaves the machine.
func TestDialerChecksResolvedAddress(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]

	// The raw dialer skips the spelling check, so only Control can refuse.
	_, err := NewPolicy(nil).Dialer(0).DialContext(context.Background(), "tcp", "localhost:"+port)
	if !errors.Is(err, ErrForbidden) {
		t.Fatalf("dial localhost = %v, want ErrForbidden", err)
	}
	conn, err := loopbackAllowed(t).Dialer(0).DialContext(context.Background(), "tcp", "localhost:"+port)
	if err != nil {
		t.Fatalf("dial localhost with 127.0.0.0/8 allowed: %v", err)
	}
	conn.Close()
}

func TestHTTPClientRefusesOddSpellingsOfLoopback(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	c := NewPolicy(nil).HTTPClient(ClientOptions{})
	for _, host := range []string{"2130706433", "0177.0.0.1", "0x7f.1", "127.1", "[::ffff:127.0.0.1]", "localhost"} {
		if _, err := c.Get("http://" + host + ":" + port + "/"); !errors.Is(err, ErrForbidden) {
			t.Errorf("GET via %s = %v, want ErrForbidden", host, err)
		}
	}
}

func TestHTTPClientDoesNotFollowRedirects(t *testing.T) {
	t.Parallel()
	followed := make(chan struct{}, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("/hook", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/elsewhere", func(http.ResponseWriter, *http.Request) { followed <- struct{}{} })
	srv := httptest.NewServer(mux)
	defer srv.Close()

	resp, err := loopbackAllowed(t).HTTPClient(ClientOptions{}).Post(srv.URL+"/hook", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect {
		t.Fatalf("status %d, want the 307 itself", resp.StatusCode)
	}
	select {
	case <-followed:
		t.Fatal("redirect was followed")
	default:
	}
}

func TestHTTPClientVerifiesTLS(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	_, err := loopbackAllowed(t).HTTPClient(ClientOptions{}).Get(srv.URL)
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("GET with an untrusted certificate = %v, want a certificate error", err)
	}
	// Trusting the test CA works, and InsecureSkipVerify cannot sneak in.
	conf := srv.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	conf.InsecureSkipVerify = true
	c := loopbackAllowed(t).HTTPClient(ClientOptions{TLS: conf})
	if got := c.Transport.(*http.Transport).TLSClientConfig.InsecureSkipVerify; got {
		t.Fatal("InsecureSkipVerify kept")
	}
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatalf("GET trusting the test CA: %v", err)
	}
	resp.Body.Close()
}
