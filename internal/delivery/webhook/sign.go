package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names of the Standard Webhooks specification.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// SecretPrefix starts every signing secret, as the specification asks, so a
// secret is recognisable when it leaks into the wrong place.
const SecretPrefix = "whsec_"

// Errors a verifier branches on.
var (
	ErrBadSecret    = errors.New("webhook secret must be whsec_ followed by base64 of 24 to 64 bytes")
	ErrMissing      = errors.New("missing webhook-id, webhook-timestamp or webhook-signature header")
	ErrBadTimestamp = errors.New("malformed webhook-timestamp")
	ErrStale        = errors.New("webhook-timestamp outside the tolerance")
	ErrNoMatch      = errors.New("no signature matches")
)

// NewSecret returns a fresh signing secret: whsec_ and 32 random bytes in
// base64, shown to the team once when the destination is created.
func NewSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return SecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// decodeSecret returns the HMAC key of a whsec_ secret.
func decodeSecret(secret string) ([]byte, error) {
	raw, ok := strings.CutPrefix(secret, SecretPrefix)
	if !ok {
		return nil, ErrBadSecret
	}
	key, err := base64.StdEncoding.DecodeString(raw)
	if err != nil || len(key) < 24 || len(key) > 64 {
		return nil, ErrBadSecret
	}
	return key, nil
}

// Signer signs messages with one or more secrets. During a key rotation the
// destination holds the new and the old secret and every message carries a
// signature for each, so receivers can switch at their own pace.
type Signer struct {
	macs []hash.Hash
}

// NewSigner returns a signer for the given whsec_ secrets, newest first.
// A Signer is not safe for concurrent use; make one per sending goroutine.
func NewSigner(secrets ...string) (*Signer, error) {
	if len(secrets) == 0 {
		return nil, fmt.Errorf("signer: %w", ErrBadSecret)
	}
	s := &Signer{}
	for i, sec := range secrets {
		key, err := decodeSecret(sec)
		if err != nil {
			return nil, fmt.Errorf("signer secret %d: %w", i+1, err)
		}
		s.macs = append(s.macs, hmac.New(sha256.New, key))
	}
	return s, nil
}

// AppendSignature appends the webhook-signature header value for exactly
// these bytes: "v1,<base64>" per secret, separated by spaces. The signed
// content is "{id}.{unix timestamp}.{body}", fed to the MAC without copying
// the body.
func (s *Signer) AppendSignature(dst []byte, id string, ts int64, body []byte) []byte {
	var num [20]byte
	var sum [sha256.Size]byte
	for i, mac := range s.macs {
		mac.Reset()
		mac.Write([]byte(id))
		mac.Write([]byte{'.'})
		mac.Write(strconv.AppendInt(num[:0], ts, 10))
		mac.Write([]byte{'.'})
		mac.Write(body)
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = append(dst, "v1,"...)
		dst = base64.StdEncoding.AppendEncode(dst, mac.Sum(sum[:0]))
	}
	return dst
}

// Sign returns the webhook-signature header value for a message.
func (s *Signer) Sign(id string, ts int64, body []byte) string {
	return string(s.AppendSignature(nil, id, ts, body))
}

// Verify checks a received message against the receiver's secrets the way
// the specification asks: a strictly numeric timestamp within tolerance of
// now, and at least one v1 signature that matches in constant time. It is
// what `intake webhook-listen` runs, and it is the model for receivers.
func Verify(secrets []string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	id, tsText, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || tsText == "" || sigs == "" {
		return ErrMissing
	}
	ts, err := parseTimestamp(tsText)
	if err != nil {
		return err
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return ErrStale
	}
	signer, err := NewSigner(secrets...)
	if err != nil {
		return err
	}
	for _, mac := range signer.macs {
		one := Signer{macs: []hash.Hash{mac}}
		want := one.AppendSignature(nil, id, ts, body)[len("v1,"):]
		for sig := range strings.FieldsSeq(sigs) {
			v, got, ok := strings.Cut(sig, ",")
			if ok && v == "v1" && hmac.Equal([]byte(got), want) {
				return nil
			}
		}
	}
	return ErrNoMatch
}

// parseTimestamp accepts only unsigned decimal seconds.
func parseTimestamp(s string) (int64, error) {
	if s == "" || len(s) > 12 {
		return 0, ErrBadTimestamp
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, ErrBadTimestamp
		}
	}
	ts, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, ErrBadTimestamp
	}
	return ts, nil
}
