package dashboard

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time            { return c.t }
func (c *fakeClock) add(d time.Duration)       { c.t = c.t.Add(d) }
func newFakeClock() *fakeClock                 { return &fakeClock{t: time.Unix(1_800_000_000, 0)} }
func allowed(t *throttle, keys ...string) bool { w, _ := t.attempt(keys...); return w == 0 }

// TestThrottleBackoff: the first throttleFree attempts pass, then each
// further one waits twice as long, per key, until a clear.
func TestThrottleBackoff(t *testing.T) {
	t.Parallel()
	c := newFakeClock()
	th := newThrottle(c.now)
	a, ip := "account:a@example.com", "client:192.0.2.1"
	for i := 1; i <= throttleFree; i++ {
		if w, n := th.attempt(a, ip); w != 0 || n != i {
			t.Fatalf("attempt %d: wait %v, count %d", i, w, n)
		}
	}
	for _, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second} {
		if w, _ := th.attempt(a, ip); w != want {
			t.Fatalf("wait %v, want %v", w, want)
		}
		c.add(want - time.Millisecond)
		if allowed(th, a) {
			t.Fatalf("allowed %v before the back-off of %v ended", time.Millisecond, want)
		}
		c.add(time.Millisecond)
		if !allowed(th, a, ip) {
			t.Fatalf("refused after the back-off of %v", want)
		}
	}
	if got := th.count(a); got != throttleFree+4 {
		t.Fatalf("count %d after refusals, want %d (a refused attempt is not counted)", got, throttleFree+4)
	}
	// The client alone is throttled for another account too, and another
	// client for this account.
	if allowed(th, "account:b@example.com", ip) || allowed(th, a, "client:192.0.2.2") {
		t.Fatal("a throttled key let an attempt through under another key")
	}
	if !allowed(th, "account:b@example.com", "client:192.0.2.2") {
		t.Fatal("fresh keys refused")
	}
	th.clear(a, ip)
	if !allowed(th, a, ip) || th.count(a) != 1 {
		t.Fatal("not cleared")
	}
	if backoff(throttleFree+100) != throttleMaxDelay || backoff(throttleFree-1) != 0 {
		t.Fatal("back-off not capped or not free at first")
	}
	c.add(throttleForget + time.Second)
	if th.count("account:b@example.com") != 0 {
		t.Fatal("an idle key was not forgotten")
	}
}

// TestThrottleBounded: a flood of fresh keys (one address each) never
// grows the map past its bound, and the stalest key goes first.
func TestThrottleBounded(t *testing.T) {
	t.Parallel()
	c := newFakeClock()
	th := newThrottle(c.now)
	th.max = 100
	for i := range 1000 {
		c.add(time.Millisecond)
		th.attempt(fmt.Sprintf("client:10.0.%d.%d", i/256, i%256))
		if len(th.keys) > th.max {
			t.Fatalf("%d keys, bound %d", len(th.keys), th.max)
		}
	}
	if th.count("client:10.0.0.0") != 0 || th.count("client:10.0.3.231") != 1 {
		t.Fatal("eviction kept a stale key or dropped the newest")
	}
}

// TestAcquireCheckDeadline: with every argon2 slot taken, a sign-in waits
// checkWait and is then refused as busy instead of queueing for ever; the
// reserved slot serves clean attempts only.
func TestAcquireCheckDeadline(t *testing.T) {
	t.Parallel()
	h := &Handler{checks: make(chan struct{}, 1), cleanChecks: make(chan struct{}, 1), throttle: newThrottle(time.Now)}
	releaseShared, err := h.acquireCheck(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = h.acquireCheck(context.Background(), false)
	if took := time.Since(start); !errors.Is(err, errCheckBusy) || took < checkWait || took > checkWait+5*time.Second {
		t.Fatalf("unclean attempt, shared slot taken: %v after %v", err, took)
	}
	releaseClean, err := h.acquireCheck(context.Background(), true)
	if err != nil {
		t.Fatalf("clean attempt did not get the reserved slot: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := h.acquireCheck(ctx, true); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("both slots taken: %v", err)
	}
	releaseShared()
	releaseClean()
	if _, err := h.acquireCheck(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	if h.throttle.checksRun.Load() != 3 {
		t.Fatalf("%d checks counted, want 3", h.throttle.checksRun.Load())
	}
}
