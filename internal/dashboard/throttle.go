package dashboard

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Sign-in throttling. Every attempt (a password or a second-factor code)
// counts against two keys: the account (the email as typed, so an unknown
// email is throttled exactly like a real one) and the client (the remote
// address). After throttleFree attempts without a complete sign-in, the key
// is refused for a delay that doubles with each further attempt, up to
// throttleMaxDelay, and refused attempts never reach argon2. A complete
// sign-in clears both keys.
//
// The counts live in memory on this node only: replicas each keep their
// own, and a restart forgets them. What must hold across replicas, the
// lockout after lockAfter failures of one account, is stored on the user
// (locked_until). The client's address is a map key and nothing else: it
// is never stored, logged or shown.
const (
	throttleFree     = 5
	throttleBase     = time.Second
	throttleMaxDelay = 15 * time.Minute
	// throttleForget drops a key this long after its last attempt.
	throttleForget = 24 * time.Hour
	// throttleMaxKeys bounds the map; a flood of fresh keys evicts the
	// stalest first, never grows memory.
	throttleMaxKeys = 10_000
	// lockAfter failures lock the account for lockFor or until an owner
	// unlocks it on the team page.
	lockAfter = 20
	lockFor   = 24 * time.Hour
)

// checkWait is how long a sign-in waits for an argon2 slot before it is
// refused as busy, so that a flood of guesses cannot queue real sign-ins
// behind it without bound.
const checkWait = 2 * time.Second

// errCheckBusy: no argon2 slot came free within checkWait.
var errCheckBusy = errors.New("password checks are busy")

type strike struct {
	n     int       // attempts since the last complete sign-in
	until time.Time // refused before this
	last  time.Time
}

// throttle counts sign-in attempts per key; safe for concurrent use.
type throttle struct {
	mu   sync.Mutex
	keys map[string]*strike
	now  func() time.Time
	max  int
	// checksRun counts the sign-in password checks that got an argon2
	// slot, for tests and benchmarks.
	checksRun atomic.Int64
}

func newThrottle(now func() time.Time) *throttle {
	return &throttle{keys: map[string]*strike{}, now: now, max: throttleMaxKeys}
}

// backoff is the delay after the n-th attempt: none for the first
// throttleFree-1, then throttleBase doubling, capped.
func backoff(n int) time.Duration {
	if n < throttleFree {
		return 0
	}
	d := throttleBase << min(n-throttleFree, 20)
	return min(d, throttleMaxDelay)
}

// attempt records an attempt under every key unless one of them is
// refused now; it returns how long to wait when refused (and records
// nothing), and otherwise the largest attempt count among the keys. The
// attempt is counted before it runs, so concurrent guesses cannot slip
// past the limit while their checks are in flight.
func (t *throttle) attempt(keys ...string) (wait time.Duration, n int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	for _, k := range keys {
		if s, ok := t.keys[k]; ok && now.Before(s.until) {
			wait = max(wait, s.until.Sub(now))
		}
	}
	if wait > 0 {
		return wait, 0
	}
	for _, k := range keys {
		s, ok := t.keys[k]
		if !ok || now.Sub(s.last) > throttleForget {
			t.evict(now)
			s = &strike{}
			t.keys[k] = s
		}
		s.n++
		s.last = now
		s.until = now.Add(backoff(s.n))
		n = max(n, s.n)
	}
	return 0, n
}

// count is the attempts recorded for key.
func (t *throttle) count(key string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s, ok := t.keys[key]; ok && t.now().Sub(s.last) <= throttleForget {
		return s.n
	}
	return 0
}

// clear forgets keys (a complete sign-in, an owner's unlock).
func (t *throttle) clear(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		delete(t.keys, k)
	}
}

// evict makes room for one key: expired keys go first, and when none has
// expired the one idle longest. Called with mu held.
func (t *throttle) evict(now time.Time) {
	if len(t.keys) < t.max {
		return
	}
	var oldest string
	for k, s := range t.keys {
		if now.Sub(s.last) > throttleForget {
			delete(t.keys, k)
		} else if oldest == "" || s.last.Before(t.keys[oldest].last) {
			oldest = k
		}
	}
	if len(t.keys) >= t.max {
		delete(t.keys, oldest)
	}
}

// accountKey and clientKey name the two things an attempt counts against.
func accountKey(email string) string { return "account:" + strings.ToLower(strings.TrimSpace(email)) }

func clientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return "client:" + host
}

// retryAfter is a Retry-After value in whole seconds, at least 1.
func retryAfter(d time.Duration) string {
	return strconv.Itoa(int(max((d+time.Second-1)/time.Second, 1)))
}

// cleanAttempts: an attempt whose account and client have at most this
// many attempts since their last sign-in is clean, and may also use the
// reserved argon2 slot. A real user's first try (or one typo later) is
// clean; a throttled client's guesses are not.
const cleanAttempts = 2

// acquireCheck takes an argon2 slot, waiting at most checkWait: the shared
// one, or for a clean attempt also the reserved one. The caller must
// release it with the func returned.
func (h *Handler) acquireCheck(ctx context.Context, clean bool) (release func(), err error) {
	shared := func() { <-h.checks }
	reserved := func() { <-h.cleanChecks }
	var cleanSlot chan struct{} // nil: never ready
	if clean {
		cleanSlot = h.cleanChecks
	}
	select {
	case h.checks <- struct{}{}:
		h.throttle.checksRun.Add(1)
		return shared, nil
	case cleanSlot <- struct{}{}:
		h.throttle.checksRun.Add(1)
		return reserved, nil
	default:
	}
	timer := time.NewTimer(checkWait)
	defer timer.Stop()
	select {
	case h.checks <- struct{}{}:
		h.throttle.checksRun.Add(1)
		return shared, nil
	case cleanSlot <- struct{}{}:
		h.throttle.checksRun.Add(1)
		return reserved, nil
	case <-timer.C:
		return nil, errCheckBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
