package webhook

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

type vectors struct {
	Valid []struct {
		Secret    string `json:"secret"`
		MsgID     string `json:"msg_id"`
		Timestamp int64  `json:"timestamp"`
		Payload   string `json:"payload"`
		Signature string `json:"signature"`
	} `json:"valid"`
	MustNotVerify     []string `json:"must_not_verify_with_that_secret_id_timestamp_and_payload"`
	InvalidTimestamps []string `json:"invalid_timestamps"`
}

func loadVectors(t *testing.T) vectors {
	t.Helper()
	b, err := os.ReadFile("testdata/standard-webhooks/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Valid) == 0 {
		t.Fatal("no vectors")
	}
	return v
}

func headers(id string, ts int64, sig string) http.Header {
	h := http.Header{}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(HeaderSignature, sig)
	return h
}

func TestSignReproducesSpecVectors(t *testing.T) {
	t.Parallel()
	v := loadVectors(t)
	for _, tv := range v.Valid {
		s, err := NewSigner(tv.Secret)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Sign(tv.MsgID, tv.Timestamp, []byte(tv.Payload)); got != tv.Signature {
			t.Errorf("Sign = %s, want %s", got, tv.Signature)
		}
		at := time.Unix(tv.Timestamp, 0)
		if err := Verify([]string{tv.Secret}, headers(tv.MsgID, tv.Timestamp, tv.Signature), []byte(tv.Payload), at, 5*time.Minute); err != nil {
			t.Errorf("Verify(vector) = %v", err)
		}
		for _, bad := range v.MustNotVerify {
			err := Verify([]string{tv.Secret}, headers(tv.MsgID, tv.Timestamp, bad), []byte(tv.Payload), at, 5*time.Minute)
			if !errors.Is(err, ErrNoMatch) {
				t.Errorf("Verify(%q) = %v, want ErrNoMatch", bad, err)
			}
		}
		for _, ts := range v.InvalidTimestamps {
			h := headers(tv.MsgID, 0, tv.Signature)
			h.Set(HeaderTimestamp, ts)
			if err := Verify([]string{tv.Secret}, h, []byte(tv.Payload), at, 5*time.Minute); !errors.Is(err, ErrBadTimestamp) {
				t.Errorf("Verify(timestamp %q) = %v, want ErrBadTimestamp", ts, err)
			}
		}
		// Outside the tolerance, in either direction.
		for _, now := range []time.Time{at.Add(6 * time.Minute), at.Add(-6 * time.Minute)} {
			err := Verify([]string{tv.Secret}, headers(tv.MsgID, tv.Timestamp, tv.Signature), []byte(tv.Payload), now, 5*time.Minute)
			if !errors.Is(err, ErrStale) {
				t.Errorf("Verify at %v = %v, want ErrStale", now, err)
			}
		}
		// A body that differs by one byte does not verify.
		if err := Verify([]string{tv.Secret}, headers(tv.MsgID, tv.Timestamp, tv.Signature), []byte(tv.Payload+" "), at, 5*time.Minute); !errors.Is(err, ErrNoMatch) {
			t.Errorf("Verify(changed body) = %v", err)
		}
	}
}

// Key rotation: a message signed with the new and the old secret verifies
// for a receiver holding either, and the official library agrees.
func TestRotationSignsWithEverySecret(t *testing.T) {
	t.Parallel()
	oldSec, newSec := NewSecret(), NewSecret()
	s, err := NewSigner(newSec, oldSec)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"type":"import.batch"}`)
	now := time.Now()
	sig := s.Sign("msg_1", now.Unix(), body)
	h := headers("msg_1", now.Unix(), sig)
	for _, sec := range []string{oldSec, newSec} {
		if err := Verify([]string{sec}, h, body, now, time.Minute); err != nil {
			t.Errorf("Verify with one of the rotated secrets: %v", err)
		}
		lib, err := standardwebhooks.NewWebhook(sec)
		if err != nil {
			t.Fatal(err)
		}
		if err := lib.Verify(body, h); err != nil {
			t.Errorf("standard-webhooks library: %v", err)
		}
	}
	if err := Verify([]string{NewSecret()}, h, body, now, time.Minute); !errors.Is(err, ErrNoMatch) {
		t.Errorf("Verify with an unrelated secret = %v", err)
	}
}

func TestSecretsAreChecked(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_", "whsec_!!!!", "whsec_c2hvcnQ="} {
		if _, err := NewSigner(s); !errors.Is(err, ErrBadSecret) {
			t.Errorf("NewSigner(%q) = %v, want ErrBadSecret", s, err)
		}
	}
	if _, err := NewSigner(); !errors.Is(err, ErrBadSecret) {
		t.Errorf("NewSigner() = %v", err)
	}
	a, b := NewSecret(), NewSecret()
	if a == b {
		t.Error("NewSecret repeats")
	}
	if _, err := NewSigner(a); err != nil {
		t.Errorf("NewSecret is not a valid secret: %v", err)
	}
}
