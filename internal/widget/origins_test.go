package widget

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

// TestEmbedRefusedOriginExplains: an embed from a site the importer does
// not allow is answered with a readable page naming the origin to add,
// framable by that claimed origin only, and carrying nothing of the
// importer; a claimed origin that is not a bare origin is never echoed
// into the CSP.
func TestEmbedRefusedOriginExplains(t *testing.T) {
	t.Parallel()
	lonely := Importer{Key: "imp_lonely", Name: "Secret name", Template: contacts.Template, Mode: "stored"}
	mux := newTestMux(t, contacts, lonely)
	const channel = "&channel=0123456789abcdef"
	tests := []struct {
		name, target string
		wantCSP      string
		wantBody     []string
	}{
		{"no allowed origins", "/embed/imp_lonely?origin=https://shop.example" + channel, "frame-ancestors https://shop.example",
			[]string{"Add <strong>https://shop.example</strong> to this importer's allowed origins in the Intake dashboard.", "no allowed origins yet"}},
		{"another site", "/embed/imp_contacts?origin=https://Shop.Example:8443" + channel, "frame-ancestors https://shop.example:8443",
			[]string{"Add <strong>https://shop.example:8443</strong>", "Only the sites in its allowed origins"}},
		{"header injection", "/embed/imp_lonely?origin=" + "https://a.example;script-src%20*" + channel, "frame-ancestors 'none'",
			[]string{"Add this site's origin"}},
		{"markup", "/embed/imp_lonely?origin=" + "https://%3Cb%3E.example" + channel, "frame-ancestors 'none'",
			[]string{"Add this site's origin"}},
		{"no origin", "/embed/imp_lonely?x=1" + channel, "frame-ancestors 'none'", []string{"Add this site's origin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := get(t, mux, tt.target, nil)
			body := rec.Body.String()
			if rec.Code != http.StatusForbidden || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
				t.Fatalf("status %d, type %q", rec.Code, rec.Header().Get("Content-Type"))
			}
			csp := rec.Header().Get("Content-Security-Policy")
			if !strings.HasSuffix(csp, tt.wantCSP) || strings.Contains(csp, "script-src") {
				t.Errorf("CSP %q, want it to end with %q", csp, tt.wantCSP)
			}
			for _, want := range tt.wantBody {
				if !strings.Contains(body, want) {
					t.Errorf("page lacks %q:\n%s", want, body)
				}
			}
			for _, leak := range []string{"Secret name", "data-config", "<b>", "<script", "email"} {
				if strings.Contains(body, leak) {
					t.Errorf("page holds %q", leak)
				}
			}
		})
	}
}

// TestEmbedOwnOriginWithoutAllowedOrigins: an importer with no allowed
// origins still opens on Intake's own pages (such as /demo), framed by
// 'self' only.
func TestEmbedOwnOriginWithoutAllowedOrigins(t *testing.T) {
	t.Parallel()
	mux := newTestMux(t, Importer{Key: "imp_lonely", Name: "Lonely", Template: contacts.Template, Mode: "stored"})
	rec := get(t, mux, "/embed/imp_lonely?origin=http://intake.test&channel=0123456789abcdef", nil)
	if rec.Code != http.StatusOK || !strings.HasSuffix(rec.Header().Get("Content-Security-Policy"), "frame-ancestors 'self'") {
		t.Fatalf("status %d CSP %q", rec.Code, rec.Header().Get("Content-Security-Policy"))
	}
}

// TestEmbedOwnPublicOrigin: behind a proxy that rewrites Host, a page on
// Intake's public URL (such as /demo) still counts as Intake's own.
func TestEmbedOwnPublicOrigin(t *testing.T) {
	t.Parallel()
	lonely := Importer{Key: "imp_lonely", Name: "Lonely", Template: contacts.Template, Mode: "stored"}
	mux := http.NewServeMux()
	Register(mux, testLookup(lonely), slog.New(slog.DiscardHandler), WithPublicURL("https://intake.example.com"))
	const target = "/embed/imp_lonely?origin=https://intake.example.com&channel=0123456789abcdef"
	if rec := get(t, mux, target, nil); rec.Code != http.StatusOK {
		t.Errorf("public origin behind a Host-rewriting proxy: %d", rec.Code)
	}
	if rec := get(t, newTestMux(t, lonely), target, nil); rec.Code != http.StatusForbidden {
		t.Errorf("without a public URL the same origin is foreign: %d", rec.Code)
	}
}
