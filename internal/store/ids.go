package store

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
)

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewID returns prefix followed by 128 random bits in lower-case base32.
func NewID(prefix string) string { return prefix + RandomToken(16) }

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
