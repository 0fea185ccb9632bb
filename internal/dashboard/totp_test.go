package dashboard

import (
	"testing"
	"time"
)

// TestTOTPVectors: RFC 6238 appendix B (SHA-1), last six digits.
func TestTOTPVectors(t *testing.T) {
	t.Parallel()
	secret := []byte("12345678901234567890")
	for _, tc := range []struct {
		unix int64
		want string
	}{
		{59, "287082"}, {1111111109, "081804"}, {1111111111, "050471"},
		{1234567890, "005924"}, {2000000000, "279037"}, {20000000000, "353130"},
	} {
		if got := totpCode(secret, tc.unix/30); got != tc.want {
			t.Errorf("t=%d: %s, want %s", tc.unix, got, tc.want)
		}
	}
	b32 := totpEncoding.EncodeToString(secret)
	now := time.Unix(1111111111, 0)
	for _, tc := range []struct {
		code string
		ok   bool
	}{
		{"050471", true}, {"050 471", true}, {"081804", true}, {"000000", false}, {"05047", false}, {"", false},
	} {
		if _, ok := checkTOTP(b32, tc.code, now); ok != tc.ok {
			t.Errorf("code %q: %v, want %v", tc.code, ok, tc.ok)
		}
	}
	if _, ok := checkTOTP(b32, totpCode(secret, now.Unix()/30+2), now); ok {
		t.Error("a code two steps ahead was accepted")
	}
}
