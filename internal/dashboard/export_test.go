package dashboard

import "time"

// TOTPNow is the current code of a base32 secret, for the external tests.
func TOTPNow(secretB32 string, offset int64) string {
	secret, _ := totpEncoding.DecodeString(secretB32)
	return totpCode(secret, time.Now().Unix()/int64(totpStep/time.Second)+offset)
}

// SetThrottleClock replaces the sign-in throttle's clock.
func (h *Handler) SetThrottleClock(now func() time.Time) { h.throttle.now = now }

// ChecksRun is how many sign-in password checks ran argon2.
func (h *Handler) ChecksRun() int64 { return h.throttle.checksRun.Load() }
