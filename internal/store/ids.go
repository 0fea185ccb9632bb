package store

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"time"
)

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// sortableEncoding is base32 over the same characters in ASCII order, so
// that encoded ids sort as their bytes do.
var sortableEncoding = base32.NewEncoding("234567abcdefghijklmnopqrstuvwxyz").WithPadding(base32.NoPadding)

// NewID returns prefix followed by 128 random bits in lower-case base32.
func NewID(prefix string) string { return prefix + RandomToken(16) }

// NewSortableID returns prefix followed by the time in milliseconds (48
// bits) and 80 random bits, in lower-case base32 that sorts by time, like a
// UUIDv7. Imports get such ids: rows made one after another then sit side
// by side in every index keyed by import id (chunks, events, claims), so
// writing an import, and purging imports in the order they expire, touches
// a few pages instead of a page per import. 80 random bits still make ids
// unguessable; they are never the credential anyway (upload tokens are).
func NewSortableID(prefix string) string { return newSortableID(prefix, time.Now()) }

func newSortableID(prefix string, t time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(t.UnixMilli())<<16)
	rand.Read(b[6:])
	return prefix + sortableEncoding.EncodeToString(b[:])
}

// RandomToken returns n random bytes in lower-case base32.
func RandomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return idEncoding.EncodeToString(b)
}

// HashSecret is how bearer secrets (API keys, upload tokens) are stored: they
// carry 256 random bits, so a plain SHA-256 is enough and lets the lookup be
// an index probe.
func HashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}
