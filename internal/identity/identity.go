// Package identity checks signed end users: a host app's backend signs
// {user, metadata, exp} with its importer's identity secret (an HS256 JWT),
// the widget hands the token over when it opens an upload, and an importer
// that requires it takes no upload without a valid one. What a valid token
// says becomes the import's end-user identity and metadata, sealed with the
// import's data key like every other end-user context.
//
// Tokens are parsed and checked by github.com/golang-jwt/jwt/v5 (HS256
// only, expiry required); this package adds only Intake's own rules on top
// (a bounded size and lifetime, a user present). It never returns or logs a
// token, a secret or what a token carries: errors say which rule failed.
package identity

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/intakehq/intake/internal/store"
	"github.com/intakehq/intake/internal/vault"
)

// SecretPrefix starts every identity secret, so that one pasted in the
// wrong place is recognisable (and found by secret scanners).
const SecretPrefix = "isk_"

// MaxTokenBytes bounds a token: the claims are at most the 16 KiB of user
// and metadata an upload may carry, base64url-encoded, plus header and
// signature.
const MaxTokenBytes = 24 << 10

// MaxLifetime is how far ahead a token's expiry may be. A token is a bearer
// credential for one end user: the host app should make one per widget
// opening, valid for minutes; a leaked one is good for a day at most.
const MaxLifetime = 24 * time.Hour

// Leeway forgives clocks of the host app and of Intake that disagree a
// little.
const Leeway = 30 * time.Second

// Errors a caller branches on (each wrapped with the rule that failed).
var (
	// ErrMissing: the importer requires a signed end user and none was sent.
	ErrMissing = errors.New("identity token missing")
	// ErrExpired: the token's expiry has passed.
	ErrExpired = errors.New("identity token expired")
	// ErrInvalid: the token is malformed, tampered with, signed with
	// another secret or algorithm, or breaks one of the rules above.
	ErrInvalid = errors.New("identity token invalid")
	// ErrNotConfigured: a token was sent to an importer that has no
	// identity secret (signed end users were never turned on).
	ErrNotConfigured = errors.New("importer has no identity secret")
)

// Claims is what a token carries: the end user (any JSON value but null),
// optional metadata (any JSON), and the expiry.
type Claims struct {
	User     json.RawMessage `json:"user"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
	jwt.RegisteredClaims
}

// NewSecret returns a fresh identity secret: 256 random bits, the HMAC-SHA256
// key size RFC 7518 asks for.
func NewSecret() string { return SecretPrefix + store.RandomToken(32) }

// owner binds a sealed secret to its importer.
func owner(importerID string) string { return "identity/" + importerID }

// Seal seals an importer's identity secret under the master key, as
// destination settings are sealed: the database never holds it in clear.
func Seal(ctx context.Context, v *vault.Vault, importerID, secret string) ([]byte, error) {
	sealed, err := v.SealSecret(ctx, owner(importerID), []byte(secret))
	if err != nil {
		return nil, fmt.Errorf("seal identity secret of importer %s: %w", importerID, err)
	}
	return sealed, nil
}

// Open returns the identity secret Seal sealed for importerID.
func Open(ctx context.Context, v *vault.Vault, importerID string, sealed []byte) ([]byte, error) {
	plain, err := v.OpenSecret(ctx, owner(importerID), sealed)
	if err != nil {
		return nil, fmt.Errorf("open identity secret of importer %s: %w", importerID, err)
	}
	return plain, nil
}

// Verify checks token against secret at now and returns its claims.
func Verify(token string, secret []byte, now time.Time) (Claims, error) {
	var c Claims
	if token == "" {
		return c, ErrMissing
	}
	if len(token) > MaxTokenBytes {
		return c, fmt.Errorf("%w: longer than %d bytes", ErrInvalid, MaxTokenBytes)
	}
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithExpirationRequired(),
		jwt.WithLeeway(Leeway), jwt.WithTimeFunc(func() time.Time { return now }))
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return Claims{}, ErrExpired
	case err != nil:
		// The library's message names the rule (signature, algorithm,
		// malformed, missing exp), never the token's content.
		return Claims{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	case c.ExpiresAt.After(now.Add(MaxLifetime + Leeway)):
		return Claims{}, fmt.Errorf("%w: exp is more than %s ahead", ErrInvalid, MaxLifetime)
	case len(c.User) == 0 || bytes.Equal(c.User, []byte("null")):
		return Claims{}, fmt.Errorf("%w: no user claim", ErrInvalid)
	}
	return c, nil
}

// Provision gives im (already saved: the secret is bound to its id) a new
// identity secret, sealed into im.IdentitySecretSealed, when it requires
// signed end users and has no secret yet, or when rotate is set. It
// returns the new secret, to be shown once, or "" when none was made. A
// rotation takes effect at once: tokens signed with the old secret are
// refused from then on.
func Provision(ctx context.Context, v *vault.Vault, im *store.Importer, rotate bool) (string, error) {
	if !rotate && (!im.RequireIdentity || im.IdentitySecretSealed != nil) {
		return "", nil
	}
	secret := NewSecret()
	sealed, err := Seal(ctx, v, im.ID, secret)
	if err != nil {
		return "", err
	}
	im.IdentitySecretSealed = sealed
	return secret, nil
}

// Check verifies the token an upload carries for importer im and returns
// the end user it signs. It returns (nil claims, nil) when the importer
// neither requires an identity nor was sent one.
func Check(ctx context.Context, v *vault.Vault, im store.Importer, token string, now time.Time) (*Claims, error) {
	if token == "" && !im.RequireIdentity {
		return nil, nil
	}
	if im.IdentitySecretSealed == nil {
		return nil, ErrNotConfigured
	}
	secret, err := Open(ctx, v, im.ID, im.IdentitySecretSealed)
	if err != nil {
		return nil, err
	}
	c, err := Verify(token, secret, now)
	if err != nil {
		return nil, err
	}
	return &c, nil
}
