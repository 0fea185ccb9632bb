package dashboard_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/intakehq/intake/internal/dashboard"
)

// throttled is a dashboard of its own over a fresh server's store, with a
// clock the test moves, an owner and a member.
type throttled struct {
	f      *fresh
	h      *dashboard.Handler
	url    string
	owner  *browser
	member string
	mu     sync.Mutex
	now    time.Time
}

func (e *throttled) clock() time.Time     { e.mu.Lock(); defer e.mu.Unlock(); return e.now }
func (e *throttled) wait(d time.Duration) { e.mu.Lock(); e.now = e.now.Add(d); e.mu.Unlock() }

const memberPassword = "member-password-1"

func startThrottled(t *testing.T) *throttled {
	t.Helper()
	f := startFresh(t)
	h, err := dashboard.New(dashboard.Options{Store: f.Srv.Store, Vault: f.Srv.Vault, Rows: f.Srv.Rows, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	e := &throttled{f: f, h: h, now: time.Now()}
	h.SetThrottleClock(e.clock)
	mux := http.NewServeMux()
	h.Register(mux)
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	e.url = hs.URL
	token, ok, err := dashboard.IssueSetupToken(context.Background(), f.Srv.Store)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	e.owner = setupOwnerWith(t, &fresh{URL: hs.URL, Srv: f.Srv}, token)
	r := e.owner.post("/team/invites", url.Values{"email": {"member@example.com"}, "role": {"member"}})
	link := find(t, `id="invite-url" tabindex="0">([^<]+)<`, r.Body)
	m := &browser{t: t, base: hs.URL}
	if r := m.post(strings.TrimPrefix(link, hs.URL), url.Values{"password": {memberPassword}, "password2": {memberPassword}}); r.Status != http.StatusSeeOther {
		t.Fatalf("accept invite: %d %s", r.Status, r.Body)
	}
	e.member = "member@example.com"
	return e
}

func (e *throttled) login(t *testing.T, email, pw string) response {
	t.Helper()
	b := &browser{t: t, base: e.url}
	return b.post("/login", url.Values{"email": {email}, "password": {pw}})
}

// TestSignInThrottle: after five wrong passwords an account is refused
// with 429, Retry-After and a message, even with the right password, and
// without an argon2 check; the wait doubles; an unknown email is treated
// the same; a sign-in clears the count.
func TestSignInThrottle(t *testing.T) {
	t.Parallel()
	e := startThrottled(t)
	for _, who := range []string{e.member, "nobody@example.com"} {
		for i := range 5 {
			if r := e.login(t, who, "wrong password!"); r.Status != http.StatusUnauthorized {
				t.Fatalf("%s: wrong password %d: %d", who, i+1, r.Status)
			}
		}
		ran := e.h.ChecksRun()
		r := e.login(t, who, memberPassword)
		if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") != "1" ||
			!strings.Contains(r.Body, "Too many sign-in attempts. Wait 1 second and try again.") {
			t.Fatalf("%s: sixth attempt: %d Retry-After %q", who, r.Status, r.Header.Get("Retry-After"))
		}
		if e.h.ChecksRun() != ran {
			t.Fatal("a refused attempt ran argon2")
		}
		e.wait(time.Second)
		if r := e.login(t, who, "wrong password!"); r.Status != http.StatusUnauthorized {
			t.Fatalf("%s: after the wait: %d", who, r.Status)
		}
		if r := e.login(t, who, "wrong password!"); r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") != "2" {
			t.Fatalf("%s: the wait did not double: %d %q", who, r.Status, r.Header.Get("Retry-After"))
		}
		// The client (one address for both) is throttled too: a sign-in
		// after the wait clears it and the member's account.
		e.wait(time.Minute)
		b := &browser{t: t, base: e.url}
		b.signIn(e.member, memberPassword)
	}
	for i := range 5 {
		if r := e.login(t, e.member, "wrong password!"); r.Status != http.StatusUnauthorized {
			t.Fatalf("count not cleared by the sign-in: attempt %d: %d", i+1, r.Status)
		}
	}
}

// TestSignInLockout: the twentieth failure locks the account in the store;
// the right password is refused then, and an owner unlocks it on the team
// page with a same-origin POST.
func TestSignInLockout(t *testing.T) {
	t.Parallel()
	e := startThrottled(t)
	for i := range 20 {
		e.wait(16 * time.Minute) // past any back-off
		if r := e.login(t, e.member, "wrong password!"); r.Status != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d", i+1, r.Status)
		}
	}
	e.wait(16 * time.Minute)
	ran := e.h.ChecksRun()
	r := e.login(t, e.member, memberPassword)
	if r.Status != http.StatusTooManyRequests || !strings.Contains(r.Body, "This account is locked") {
		t.Fatalf("locked account, right password: %d", r.Status)
	}
	if e.h.ChecksRun() != ran {
		t.Fatal("a locked account's attempt ran argon2")
	}
	// Another node (a restart here) has no count, and the stored lock holds.
	other := startSibling(t, e)
	if r := other.login(t, e.member, memberPassword); r.Status != http.StatusTooManyRequests {
		t.Fatalf("locked account on another node: %d", r.Status)
	}
	team := e.owner.get("/team")
	if !strings.Contains(team.Body, "locked until") {
		t.Fatal("the team page does not show the lock")
	}
	id := find(t, `action="/team/members/([^/"]+)/unlock"`, team.Body)
	if r := e.owner.do("POST", "/team/members/"+id+"/unlock", url.Values{}, map[string]string{"Sec-Fetch-Site": "cross-site"}); r.Status != http.StatusForbidden {
		t.Fatalf("cross-site unlock: %d", r.Status)
	}
	if r := e.login(t, e.member, memberPassword); r.Status != http.StatusTooManyRequests {
		t.Fatalf("unlocked by a cross-site POST: %d", r.Status)
	}
	if r := e.owner.post("/team/members/"+id+"/unlock", nil); r.Status != http.StatusSeeOther || r.Location != "/team?done=unlocked" {
		t.Fatalf("unlock: %d %q", r.Status, r.Location)
	}
	e.wait(16 * time.Minute) // the client's own back-off
	m := &browser{t: t, base: e.url}
	m.signIn(e.member, memberPassword)
	if r := m.post("/team/members/"+id+"/unlock", nil); r.Status != http.StatusForbidden {
		t.Fatalf("a member may unlock: %d", r.Status)
	}
}

// startSibling is a second dashboard over the same store, as a replica.
func startSibling(t *testing.T, e *throttled) *throttled {
	t.Helper()
	h, err := dashboard.New(dashboard.Options{Store: e.f.Srv.Store, Vault: e.f.Srv.Vault, Rows: e.f.Srv.Rows, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Register(mux)
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	return &throttled{f: e.f, h: h, url: hs.URL}
}

// TestSignInCodeThrottle: wrong second-factor codes count like wrong
// passwords, so guessing codes behind a known password is throttled too,
// and the right code is refused while the back-off lasts.
func TestSignInCodeThrottle(t *testing.T) {
	t.Parallel()
	e := startThrottled(t)
	r := e.owner.post("/account/totp/start", nil)
	secret := find(t, `id="totp-secret">([A-Z2-7]+)<`, r.Body)
	if r := e.owner.post("/account/totp/enable", url.Values{"secret": {secret}, "password": {password}, "code": {dashboard.TOTPNow(secret, 0)}}); r.Status != http.StatusSeeOther {
		t.Fatalf("enable: %d", r.Status)
	}
	signPassword := func(c *browser) {
		t.Helper()
		if r := c.post("/login", url.Values{"email": {"owner@example.com"}, "password": {password}}); r.Status != http.StatusSeeOther {
			t.Fatalf("password step: %d", r.Status)
		}
	}
	var last response
	c := &browser{t: t, base: e.url}
	for range 2 { // password, code, password, code; the password below is the fifth attempt
		signPassword(c)
		last = c.post("/login/code", url.Values{"code": {"000000"}})
	}
	signPassword(c)
	r = c.post("/login/code", url.Values{"code": {dashboard.TOTPNow(secret, 1)}})
	if last.Status != http.StatusUnauthorized || r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" ||
		!strings.Contains(r.Body, "Too many sign-in attempts") || c.session != "" {
		t.Fatalf("codes not throttled: last wrong code %d, then the right one %d", last.Status, r.Status)
	}
}

// BenchmarkSignInUnderAttack: 1,000 wrong passwords, each for another
// email (a spray the account throttle cannot see), from 8 concurrent
// clients on 127.0.0.11-18, against a real server; meanwhile the owner
// signs in from 127.0.0.1. It reports the owner's latency, how many of the
// attempts ran argon2 and how many were refused. Run with -benchtime=1x.
func BenchmarkSignInUnderAttack(b *testing.B) {
	for b.Loop() {
		f := startFresh(b)
		token, ok, err := dashboard.IssueSetupToken(context.Background(), f.Srv.Store)
		if err != nil || !ok {
			b.Fatal(ok, err)
		}
		owner := &browser{t: b, base: f.URL}
		if r := owner.post("/setup", url.Values{"token": {token}, "org": {"Acme"}, "email": {"owner@example.com"},
			"password": {password}, "password2": {password}}); r.Status != http.StatusSeeOther {
			b.Fatalf("setup: %d", r.Status)
		}
		const clients, attempts = 8, 1000
		var mu sync.Mutex
		statuses := map[int]int{}
		var sent atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(11+c))}}
				hc := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
				for i := c; i < attempts; i += clients {
					sent.Add(1)
					form := url.Values{"email": {fmt.Sprintf("guess%d@example.com", i)}, "password": {"wrong password!"}}
					req, _ := http.NewRequest("POST", f.URL+"/login", strings.NewReader(form.Encode()))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					req.Header.Set("Sec-Fetch-Site", "same-origin")
					resp, err := hc.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					mu.Lock()
					statuses[resp.StatusCode]++
					mu.Unlock()
				}
			}()
		}
		var realLatency time.Duration
		var realStatus int
		wg.Add(1)
		go func() {
			defer wg.Done()
			for sent.Load() < 200 {
				time.Sleep(time.Millisecond)
			}
			u := &browser{t: b, base: f.URL}
			t0 := time.Now()
			r := u.post("/login", url.Values{"email": {"owner@example.com"}, "password": {password}})
			realLatency, realStatus = time.Since(t0), r.Status
		}()
		wg.Wait()
		total := time.Since(start)
		ran := statuses[http.StatusUnauthorized] // each 401 ran argon2; a 429 or 503 did not
		b.Logf("owner sign-in: %d in %v; attack: %d attempts in %v, statuses %v, argon2 checks %d",
			realStatus, realLatency.Round(time.Millisecond), attempts, total.Round(time.Millisecond), statuses, ran)
		b.ReportMetric(float64(realLatency.Milliseconds()), "owner-ms")
		b.ReportMetric(float64(ran), "argon2-runs")
		b.ReportMetric(float64(statuses[http.StatusTooManyRequests]), "refused")
		if realStatus != http.StatusSeeOther {
			b.Errorf("the owner's sign-in failed: %d", realStatus)
		}
	}
}
