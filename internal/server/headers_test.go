package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/intakehq/intake/internal/server/servertest"
)

// TestPageHeaders: dashboard pages keep other origins' windows away
// (Cross-Origin-Opener-Policy same-origin) and every page turns off the
// powerful features; the widget's pages, framed by the team's app, get no
// opener policy and keep their own framing rules.
func TestPageHeaders(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	get := func(path string) http.Header {
		t.Helper()
		res, err := http.Get(env.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", path, res.StatusCode)
		}
		return res.Header
	}
	for _, path := range []string{"/login"} {
		h := get(path)
		if h.Get("Cross-Origin-Opener-Policy") != "same-origin" {
			t.Errorf("%s: Cross-Origin-Opener-Policy %q", path, h.Get("Cross-Origin-Opener-Policy"))
		}
		if pp := h.Get("Permissions-Policy"); !strings.Contains(pp, "camera=()") || !strings.Contains(pp, "geolocation=()") {
			t.Errorf("%s: Permissions-Policy %q", path, pp)
		}
	}
	for _, path := range []string{"/i/imp_demo", "/demo"} {
		h := get(path)
		if coop := h.Get("Cross-Origin-Opener-Policy"); coop != "" {
			t.Errorf("%s: the widget got Cross-Origin-Opener-Policy %q", path, coop)
		}
		if pp := h.Get("Permissions-Policy"); !strings.Contains(pp, "microphone=()") || strings.Contains(pp, "clipboard") {
			t.Errorf("%s: Permissions-Policy %q (the widget's frame may use the clipboard)", path, pp)
		}
		if !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors") {
			t.Errorf("%s: CSP lost its frame-ancestors: %q", path, h.Get("Content-Security-Policy"))
		}
	}
}
