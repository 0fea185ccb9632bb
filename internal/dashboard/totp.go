package dashboard

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // RFC 6238 TOTP as authenticator apps compute it is HMAC-SHA1
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/intakehq/intake/internal/store"
	"github.com/intakehq/intake/internal/vault"
)

// TOTP as authenticator apps do it (RFC 6238): HMAC-SHA1, 30-second steps,
// six digits, one step of clock drift either way.
const (
	totpStep   = 30 * time.Second
	totpDigits = 6
)

var totpEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newTOTPSecret returns 160 random bits in base32, the form apps take.
func newTOTPSecret() string {
	b := make([]byte, 20)
	rand.Read(b)
	return totpEncoding.EncodeToString(b)
}

// totpCode is the code of secret for time step n (RFC 4226 truncation).
func totpCode(secret []byte, n int64) string {
	mac := hmac.New(sha1.New, secret)
	mac.Write(binary.BigEndian.AppendUint64(nil, uint64(n))) // a hash never fails a write
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%0*d", totpDigits, v%1_000_000)
}

// checkTOTP finds the time step, within one of now's, whose code is code;
// ok is false when none is. The caller must refuse a step already used.
func checkTOTP(secretB32, code string, now time.Time) (step int64, ok bool) {
	secret, err := totpEncoding.DecodeString(strings.ToUpper(strings.TrimRight(secretB32, "=")))
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if err != nil || len(code) != totpDigits {
		return 0, false
	}
	cur := now.Unix() / int64(totpStep/time.Second)
	for _, n := range []int64{cur, cur - 1, cur + 1} {
		if subtle.ConstantTimeCompare([]byte(totpCode(secret, n)), []byte(code)) == 1 {
			return n, true
		}
	}
	return 0, false
}

// totpURI is the otpauth:// link an authenticator app imports.
func totpURI(issuer, account, secret string) string {
	label := url.PathEscape(issuer + ":" + account)
	q := url.Values{"secret": {secret}, "issuer": {issuer}, "algorithm": {"SHA1"}, "digits": {"6"}, "period": {"30"}}
	return "otpauth://totp/" + label + "?" + q.Encode()
}

// totpOwner is what a user's sealed TOTP secret is bound to: a secret
// copied onto another user's row does not open.
func totpOwner(userID string) string { return "totp/" + userID }

// sealTOTP seals a base32 secret for userID as destination settings are
// sealed: its own data key, wrapped by the master key. The database holds
// only this, so its file, its WAL and its backups do not give away a
// second factor.
func sealTOTP(ctx context.Context, v *vault.Vault, userID, secretB32 string) ([]byte, error) {
	sealed, err := v.SealSecret(ctx, totpOwner(userID), []byte(secretB32))
	if err != nil {
		return nil, fmt.Errorf("seal totp secret: %w", err)
	}
	return sealed, nil
}

// userCode reports whether code is a current, unused code of u's second
// factor, and uses its time step up when it is.
func (h *Handler) userCode(ctx context.Context, u store.User, code string) (bool, error) {
	plain, err := h.o.Vault.OpenSecret(ctx, totpOwner(u.ID), u.TOTPSealed)
	if err != nil {
		return false, fmt.Errorf("open totp secret of %s: %w", u.ID, err)
	}
	step, ok := checkTOTP(string(plain), code, time.Now())
	if !ok {
		return false, nil
	}
	return h.o.Store.UseTOTPStep(ctx, u.ID, step)
}

// SealClearTOTP seals the TOTP secrets that a version before migration
// 00012 stored in clear, and on SQLite checkpoints the WAL so that the
// clear pages do not linger in it. The server runs it at every start
// before serving (a no-op once nothing is left in clear); SQL alone could
// not, the master key not being in the database.
func SealClearTOTP(ctx context.Context, st *store.Store, v *vault.Vault, logger *slog.Logger) error {
	clear, err := st.ClearTOTPSecrets(ctx)
	if err != nil || len(clear) == 0 {
		return err
	}
	for _, c := range clear {
		sealed, err := sealTOTP(ctx, v, c.UserID, c.Secret)
		if err != nil {
			return err
		}
		if err := st.SealClearTOTP(ctx, c, sealed); err != nil {
			return err
		}
	}
	if err := st.Checkpoint(ctx); err != nil {
		return err
	}
	logger.InfoContext(ctx, "sealed TOTP secrets stored in clear by an earlier version", "users", len(clear))
	return nil
}
