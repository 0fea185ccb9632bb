package dashboard_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base32"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/intakehq/intake/internal/dashboard"
	"github.com/intakehq/intake/internal/server/servertest"
	"github.com/intakehq/intake/internal/store"
)

// enableTOTP turns the second factor on for b's user and returns its secret.
func enableTOTP(t *testing.T, b *browser, password string) string {
	t.Helper()
	r := b.post("/account/totp/start", nil)
	secret := find(t, `id="totp-secret">([A-Z2-7]+)<`, r.Body)
	if r := b.post("/account/totp/enable", url.Values{"secret": {secret}, "password": {password}, "code": {dashboard.TOTPNow(secret, 0)}}); r.Status != http.StatusSeeOther {
		t.Fatalf("enable: %d", r.Status)
	}
	return secret
}

// assertNotAtRest fails if the database file or its WAL holds secret, in
// base32 (as apps show it, either case) or as its raw 20 bytes.
func assertNotAtRest(t *testing.T, dataDir, secret string) {
	t.Helper()
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"intake.db", "intake.db-wal"} {
		b, err := os.ReadFile(filepath.Join(dataDir, name))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(secret)) || bytes.Contains(b, []byte(strings.ToLower(secret))) || bytes.Contains(b, raw) {
			t.Errorf("%s holds the TOTP secret in clear", name)
		}
	}
}

// TestTOTPSecretSealedAtRest: an enabled second factor's secret is in
// neither the SQLite file nor its WAL, and still signs in.
func TestTOTPSecretSealedAtRest(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	email := ownerEmail(t, env)
	b := &browser{t: t, base: env.URL}
	b.signIn(email, "test-password-1")
	secret := enableTOTP(t, b, "test-password-1")
	assertNotAtRest(t, env.DataDir, secret)

	c := &browser{t: t, base: env.URL}
	if r := c.post("/login", url.Values{"email": {email}, "password": {"test-password-1"}}); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/login/code") {
		t.Fatalf("password step: %d %q", r.Status, r.Location)
	}
	if r := c.post("/login/code", url.Values{"code": {dashboard.TOTPNow(secret, 1)}}); r.Status != http.StatusSeeOther || c.get("/imports").Status != http.StatusOK {
		t.Fatalf("a code of the sealed secret does not sign in: %d", r.Status)
	}
}

// TestTOTPChangeNeedsProof: turning the second factor on needs the
// password, moving it to another app needs a code of the current one; the
// session alone changes nothing.
func TestTOTPChangeNeedsProof(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	b := &browser{t: t, base: env.URL}
	b.signIn(ownerEmail(t, env), "test-password-1")
	start := func() string {
		return find(t, `id="totp-secret">([A-Z2-7]+)<`, b.post("/account/totp/start", nil).Body)
	}
	s1 := start()
	for _, pw := range []string{"", "wrong-password"} {
		if r := b.post("/account/totp/enable", url.Values{"secret": {s1}, "password": {pw}, "code": {dashboard.TOTPNow(s1, 0)}}); r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("enabled with password %q: %d", pw, r.Status)
		}
	}
	s1 = enableTOTP(t, b, "test-password-1")
	s2 := start()
	for _, form := range []url.Values{
		{"secret": {s2}, "code": {dashboard.TOTPNow(s2, 0)}},
		{"secret": {s2}, "password": {"test-password-1"}, "code": {dashboard.TOTPNow(s2, 0)}}, // the password is not the factor
		{"secret": {s2}, "current_code": {"000000"}, "code": {dashboard.TOTPNow(s2, 0)}},
		{"secret": {s2}, "current_code": {dashboard.TOTPNow(s2, 0)}, "code": {dashboard.TOTPNow(s2, 0)}},
	} {
		if r := b.post("/account/totp/enable", form); r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("replaced without a current code (%v): %d", form, r.Status)
		}
	}
	if r := b.post("/account/totp/enable", url.Values{"secret": {s2}, "current_code": {dashboard.TOTPNow(s1, 1)}, "code": {dashboard.TOTPNow(s2, 0)}}); r.Status != http.StatusSeeOther {
		t.Fatalf("replace with a current code: %d", r.Status)
	}
	if r := b.post("/account/totp/disable", url.Values{"code": {dashboard.TOTPNow(s1, 0)}}); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("the old app's code still works: %d", r.Status)
	}
}

// TestTOTPChangeEndsOtherSessions: turning the second factor on or off
// signs the user's other browsers out, and not the one that did it.
func TestTOTPChangeEndsOtherSessions(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	email := ownerEmail(t, env)
	b, other := &browser{t: t, base: env.URL}, &browser{t: t, base: env.URL}
	b.signIn(email, "test-password-1")
	other.signIn(email, "test-password-1")
	secret := enableTOTP(t, b, "test-password-1")
	if r := other.get("/imports"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/login") {
		t.Fatalf("another session outlived enabling the second factor: %d", r.Status)
	}
	if r := b.get("/imports"); r.Status != http.StatusOK {
		t.Fatalf("the enabling session ended: %d", r.Status)
	}
	// A second sign-in would spend the one code step left in the window,
	// which turning the factor off needs: the other session is made as
	// sign-in makes it.
	u, err := env.Server.Store.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	other = &browser{t: t, base: env.URL, session: store.RandomToken(16)}
	if err := env.Server.Store.CreateSession(context.Background(), store.HashSecret(other.session), u.ID, false); err != nil {
		t.Fatal(err)
	}
	if r := other.get("/imports"); r.Status != http.StatusOK {
		t.Fatalf("other session: %d", r.Status)
	}
	if r := b.post("/account/totp/disable", url.Values{"code": {dashboard.TOTPNow(secret, 1)}}); r.Status != http.StatusSeeOther {
		t.Fatalf("disable: %d", r.Status)
	}
	if r := other.get("/imports"); r.Status != http.StatusSeeOther {
		t.Fatalf("another session outlived disabling the second factor: %d", r.Status)
	}
}

// TestClearTOTPSealedAtStart: a secret stored in clear by a version before
// migration 00012 is sealed by SealClearTOTP (which every server start
// runs), leaves neither the file nor the WAL holding it, and still works.
func TestClearTOTPSealedAtStart(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	email := ownerEmail(t, env)
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	db, err := sql.Open("sqlite", "file:"+filepath.Join(env.DataDir, "intake.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE users SET totp_secret = ? WHERE email = ?`, secret, email); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := dashboard.SealClearTOTP(ctx, env.Server.Store, env.Server.Vault, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	var left sql.NullString
	var sealed []byte
	if err := db.QueryRow(`SELECT totp_secret, totp_sealed FROM users WHERE email = ?`, email).Scan(&left, &sealed); err != nil {
		t.Fatal(err)
	}
	if left.Valid || len(sealed) == 0 {
		t.Fatalf("not sealed: clear %v, sealed %d bytes", left.Valid, len(sealed))
	}
	db.Close()
	assertNotAtRest(t, env.DataDir, secret)
	c := &browser{t: t, base: env.URL}
	if r := c.post("/login", url.Values{"email": {email}, "password": {"test-password-1"}}); !strings.HasPrefix(r.Location, "/login/code") {
		t.Fatalf("the sealed factor is not asked for: %d %q", r.Status, r.Location)
	}
	if r := c.post("/login/code", url.Values{"code": {dashboard.TOTPNow(secret, 0)}}); r.Status != http.StatusSeeOther || c.get("/imports").Status != http.StatusOK {
		t.Fatalf("a code of the migrated secret does not sign in: %d", r.Status)
	}
}
