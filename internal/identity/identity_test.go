package identity

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var now = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

func sign(t *testing.T, method jwt.SigningMethod, claims jwt.MapClaims, key any) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// handMade builds a token the way docs/widget.md's Node example does, with
// nothing but HMAC-SHA256 and base64url, so that the recipe given to host
// apps is checked against the verifier.
func handMade(header, payload string, secret []byte) string {
	enc := base64.RawURLEncoding
	body := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(body))
	return body + "." + enc.EncodeToString(mac.Sum(nil))
}

func TestVerify(t *testing.T) {
	t.Parallel()
	secret := []byte(NewSecret())
	exp := now.Add(10 * time.Minute).Unix()
	good := jwt.MapClaims{"user": map[string]any{"id": "u_1", "email": "ann@example.com"}, "metadata": map[string]any{"plan": "pro"}, "exp": exp}
	tampered := sign(t, jwt.SigningMethodHS256, good, secret)
	parts := strings.Split(tampered, ".")
	parts[1] = base64.RawURLEncoding.EncodeToString([]byte(`{"user":{"id":"admin"},"exp":` + "9999999999" + `}`))
	tampered = strings.Join(parts, ".")
	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"signed", sign(t, jwt.SigningMethodHS256, good, secret), nil},
		{"hand-made as in the Node example", handMade(`{"alg":"HS256","typ":"JWT"}`, `{"user":{"id":"u_1"},"exp":`+strconv.FormatInt(now.Add(time.Minute).Unix(), 10)+`}`, secret), nil},
		{"a string user", sign(t, jwt.SigningMethodHS256, jwt.MapClaims{"user": "u_1", "exp": exp}, secret), nil},
		{"expired", sign(t, jwt.SigningMethodHS256, jwt.MapClaims{"user": "u_1", "exp": now.Add(-time.Minute).Unix()}, secret), ErrExpired},
		{"expired within the leeway", sign(t, jwt.SigningMethodHS256, jwt.MapClaims{"user": "u_1", "exp": now.Add(-10 * time.Second).Unix()}, secret), nil},
		{"tampered claims", tampered, ErrInvalid},
		{"another secret", sign(t, jwt.SigningMethodHS256, good, []byte(NewSecret())), ErrInvalid},
		{"HS512", sign(t, jwt.SigningMethodHS512, good, secret), ErrInvalid},
		{"alg none", sign(t, jwt.SigningMethodNone, good, jwt.UnsafeAllowNoneSignatureType), ErrInvalid},
		{"no exp", sign(t, jwt.SigningMethodHS256, jwt.MapClaims{"user": "u_1"}, secret), ErrInvalid},
		{"exp too far ahead", sign(t, jwt.SigningMethodHS256, jwt.MapClaims{"user": "u_1", "exp": now.Add(MaxLifetime + time.Hour).Unix()}, secret), ErrInvalid},
		{"no user", sign(t, jwt.SigningMethodHS256, jwt.MapClaims{"metadata": "x", "exp": exp}, secret), ErrInvalid},
		{"null user", sign(t, jwt.SigningMethodHS256, jwt.MapClaims{"user": nil, "exp": exp}, secret), ErrInvalid},
		{"not yet valid", sign(t, jwt.SigningMethodHS256, jwt.MapClaims{"user": "u_1", "exp": exp, "nbf": now.Add(5 * time.Minute).Unix()}, secret), ErrInvalid},
		{"garbage", "not.a.token", ErrInvalid},
		{"oversized", strings.Repeat("a", MaxTokenBytes+1), ErrInvalid},
		{"missing", "", ErrMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Verify(tt.token, secret, now)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Verify: %v, want %v", err, tt.want)
			}
			if err == nil && len(c.User) == 0 {
				t.Fatal("no user in the claims returned")
			}
			if err != nil && (strings.Contains(err.Error(), "u_1") || strings.Contains(err.Error(), "admin")) {
				t.Fatalf("the error shows the token's content: %v", err)
			}
		})
	}
	c, err := Verify(tests[0].token, secret, now)
	if err != nil || string(c.User) != `{"email":"ann@example.com","id":"u_1"}` || string(c.Metadata) != `{"plan":"pro"}` {
		t.Fatalf("claims: user %s, metadata %s, %v", c.User, c.Metadata, err)
	}
}

// FuzzVerify: any token, however malformed, is refused with one of the
// package's errors (or accepted only when it carries a user and an exp),
// never a panic.
func FuzzVerify(f *testing.F) {
	secret := []byte("isk_fuzz")
	f.Add(handMade(`{"alg":"HS256","typ":"JWT"}`, `{"user":"u","exp":1796385600}`, secret))
	f.Add(handMade(`{"alg":"none"}`, `{"user":"u","exp":1796385600}`, secret))
	f.Add("a.b.c")
	f.Add("")
	f.Fuzz(func(t *testing.T, token string) {
		c, err := Verify(token, secret, now)
		if err == nil && (len(c.User) == 0 || c.ExpiresAt == nil) {
			t.Fatalf("accepted without user or exp: %+v", c)
		}
		if err != nil && !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrExpired) && !errors.Is(err, ErrMissing) {
			t.Fatalf("unexpected error kind: %v", err)
		}
	})
}
