package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// User is a person who signs in to the dashboard; it belongs to one
// organization with one role.
type User struct {
	ID           string
	OrgID        string
	Email        string
	Role         string
	PasswordHash string
	// TOTPSealed is the base32 secret of the user's second factor as the
	// vault sealed it (the dashboard seals and opens it); nil when it is
	// off. The store never sees the secret in clear.
	TOTPSealed []byte
	CreatedAt  time.Time
}

// ErrSetupClosed means first-run setup is over (a user exists) or the setup
// token is wrong or expired; the caller cannot tell which, by design.
var ErrSetupClosed = errors.New("setup is closed or the token is invalid")

// RoleRank orders roles so that a check reads "at least member". Unknown
// roles rank below viewer.
func RoleRank(role string) int {
	switch role {
	case RoleViewer:
		return 1
	case RoleMember:
		return 2
	case RoleAdmin:
		return 3
	case RoleOwner:
		return 4
	}
	return 0
}

// userInsertColumns are set when a user is created; userColumns are read.
const (
	userInsertColumns = `id, org_id, email, role, password_hash, created_at`
	userColumns       = userInsertColumns + `, totp_sealed`
)

func scanUser(row interface{ Scan(...any) error }) (User, error) {
	var u User
	var created int64
	if err := row.Scan(&u.ID, &u.OrgID, &u.Email, &u.Role, &u.PasswordHash, &created, &u.TOTPSealed); err != nil {
		return u, err
	}
	u.CreatedAt = time.UnixMicro(created).UTC()
	return u, nil
}

// HasUsers reports whether any user exists (first-run setup is open until one does).
func (s *Store) HasUsers(ctx context.Context) (bool, error) {
	var n int
	if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM users LIMIT 1) t`).Scan(&n); err != nil {
		return false, fmt.Errorf("count users: %w", err)
	}
	return n > 0, nil
}

// UserByEmail finds a user by email (unique across organizations), for sign-in.
func (s *Store) UserByEmail(ctx context.Context, email string) (User, error) {
	u, err := scanUser(s.read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE email = $1`,
		strings.ToLower(strings.TrimSpace(email))))
	if err != nil {
		return u, notFound(err, "user")
	}
	return u, nil
}

// Users lists orgID's users, oldest first.
func (s *Store) Users(ctx context.Context, orgID string) ([]User, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+userColumns+` FROM users WHERE org_id = $1 ORDER BY created_at, id`, orgID)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// SetUserRole changes the role of one user of orgID.
func (s *Store) SetUserRole(ctx context.Context, orgID, userID, role string) error {
	res, err := s.write.ExecContext(ctx, `UPDATE users SET role = $1 WHERE id = $2 AND org_id = $3`, role, userID, orgID)
	return affectedOne(res, err, "user")
}

// DeleteUser removes one user of orgID; their sessions go with them.
func (s *Store) DeleteUser(ctx context.Context, orgID, userID string) error {
	return s.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE id = $1 AND org_id = $2)`,
			userID, orgID); err != nil {
			return fmt.Errorf("delete user sessions: %w", err)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = $1 AND org_id = $2`, userID, orgID)
		return affectedOne(res, err, "user")
	})
}

// SetTOTPSealed turns a user's second factor on (a sealed secret) or off
// (nil), and ends every other session of the user (all but keepSession,
// the id hash of the session that made the change): a change of the
// second factor is when a stolen session must stop working. The step
// counter starts over with the new secret at step, the step of the code
// that proved it (0 when turning off).
func (s *Store) SetTOTPSealed(ctx context.Context, orgID, userID string, sealed []byte, step int64, keepSession []byte) error {
	if len(sealed) == 0 {
		sealed = nil
	}
	return s.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET totp_sealed = $1, totp_secret = NULL, totp_last_step = $2 WHERE id = $3 AND org_id = $4`,
			sealed, step, userID, orgID)
		if err := affectedOne(res, err, "user"); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2`, userID, keepSession); err != nil {
			return fmt.Errorf("end other sessions: %w", err)
		}
		return nil
	})
}

// ClearTOTP is a user whose second factor is still stored in clear (by a
// version before migration 00012), to be sealed by SealClearTOTP.
type ClearTOTP struct {
	UserID, OrgID, Secret string
}

// ClearTOTPSecrets lists the users whose TOTP secret is still in clear.
func (s *Store) ClearTOTPSecrets(ctx context.Context) ([]ClearTOTP, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, org_id, totp_secret FROM users WHERE totp_secret IS NOT NULL`)
	if err != nil {
		return nil, fmt.Errorf("list clear totp secrets: %w", err)
	}
	defer rows.Close()
	var out []ClearTOTP
	for rows.Next() {
		var c ClearTOTP
		if err := rows.Scan(&c.UserID, &c.OrgID, &c.Secret); err != nil {
			return nil, fmt.Errorf("list clear totp secrets: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// SealClearTOTP replaces c's clear secret by sealed, unless the secret
// changed meanwhile (another replica sealed it first, or the user turned
// the factor off). Sessions stay: the factor itself did not change.
func (s *Store) SealClearTOTP(ctx context.Context, c ClearTOTP, sealed []byte) error {
	if _, err := s.write.ExecContext(ctx, `UPDATE users SET totp_sealed = $1, totp_secret = NULL WHERE id = $2 AND totp_secret = $3`,
		sealed, c.UserID, c.Secret); err != nil {
		return fmt.Errorf("seal clear totp secret: %w", err)
	}
	return nil
}

// UseTOTPStep records that a code of time step step was accepted for a
// user; it reports false when that step (or a later one) was used already,
// so that a code cannot be replayed.
func (s *Store) UseTOTPStep(ctx context.Context, userID string, step int64) (bool, error) {
	res, err := s.write.ExecContext(ctx, `UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1`, step, userID)
	if err != nil {
		return false, fmt.Errorf("use totp step: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// SetSetupToken replaces the first-run setup token (its hash) with one valid
// until expires.
func (s *Store) SetSetupToken(ctx context.Context, hash []byte, expires time.Time) error {
	return s.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM setup_tokens`); err != nil {
			return fmt.Errorf("replace setup token: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO setup_tokens (hash, expires_at) VALUES ($1, $2)`, hash, expires.UnixMicro()); err != nil {
			return fmt.Errorf("replace setup token: %w", err)
		}
		return nil
	})
}

// SetupTokenValid reports whether setup is open and tokenHash is its token.
func (s *Store) SetupTokenValid(ctx context.Context, tokenHash []byte) (bool, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM setup_tokens WHERE hash = $1 AND expires_at > $2
		AND NOT EXISTS (SELECT 1 FROM users)`, tokenHash, s.nowMicro()).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("check setup token: %w", err)
	}
	return n > 0, nil
}

// CompleteSetup creates the first organization and its owner, in one
// transaction that also consumes the setup token. It fails with
// ErrSetupClosed once any user exists or when the token is not the current one.
func (s *Store) CompleteSetup(ctx context.Context, tokenHash []byte, orgName, email, passwordHash string) (User, error) {
	now := s.nowMicro()
	u := User{ID: NewID("usr_"), OrgID: NewID("org_"), Email: strings.ToLower(strings.TrimSpace(email)), Role: RoleOwner,
		PasswordHash: passwordHash, CreatedAt: time.UnixMicro(now).UTC()}
	err := s.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM setup_tokens WHERE hash = $1 AND expires_at > $2
			AND NOT EXISTS (SELECT 1 FROM users)`, tokenHash, now)
		if err := affectedOne(res, err, "setup token"); err != nil {
			if errors.Is(err, ErrNotFound) {
				return ErrSetupClosed
			}
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3)`,
			u.OrgID, orgName, now); err != nil {
			return uniqueErr(err, "organization name")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO users (`+userInsertColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
			u.ID, u.OrgID, u.Email, u.Role, u.PasswordHash, now); err != nil {
			return uniqueErr(err, "user email")
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM setup_tokens`)
		return err
	})
	return u, err
}

// Invite is a pending, single-use invitation to join an organization.
type Invite struct {
	ID        string
	OrgID     string
	Email     string
	Role      string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// CreateInvite records an invitation whose link carries the secret hashed as
// tokenHash.
func (s *Store) CreateInvite(ctx context.Context, orgID, email, role string, tokenHash []byte, ttl time.Duration) (Invite, error) {
	now := s.now().UTC().Truncate(time.Microsecond)
	inv := Invite{ID: NewID("inv_"), OrgID: orgID, Email: strings.ToLower(strings.TrimSpace(email)), Role: role,
		CreatedAt: now, ExpiresAt: now.Add(ttl)}
	_, err := s.write.ExecContext(ctx, `INSERT INTO invites (id, org_id, email, role, token_hash, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, inv.ID, orgID, inv.Email, role, tokenHash, now.UnixMicro(), inv.ExpiresAt.UnixMicro())
	if err != nil {
		return inv, fmt.Errorf("insert invite: %w", err)
	}
	return inv, nil
}

const inviteColumns = `id, org_id, email, role, created_at, expires_at`

func scanInvite(row interface{ Scan(...any) error }) (Invite, error) {
	var inv Invite
	var created, expires int64
	if err := row.Scan(&inv.ID, &inv.OrgID, &inv.Email, &inv.Role, &created, &expires); err != nil {
		return inv, err
	}
	inv.CreatedAt, inv.ExpiresAt = time.UnixMicro(created).UTC(), time.UnixMicro(expires).UTC()
	return inv, nil
}

// Invites lists orgID's pending, unexpired invitations.
func (s *Store) Invites(ctx context.Context, orgID string) ([]Invite, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+inviteColumns+` FROM invites
		WHERE org_id = $1 AND accepted_at IS NULL AND expires_at > $2 ORDER BY created_at, id`, orgID, s.nowMicro())
	if err != nil {
		return nil, fmt.Errorf("list invites: %w", err)
	}
	defer rows.Close()
	var out []Invite
	for rows.Next() {
		inv, err := scanInvite(rows)
		if err != nil {
			return nil, fmt.Errorf("list invites: %w", err)
		}
		out = append(out, inv)
	}
	return out, rows.Err()
}

// DeleteInvite withdraws a pending invitation of orgID.
func (s *Store) DeleteInvite(ctx context.Context, orgID, id string) error {
	res, err := s.write.ExecContext(ctx, `DELETE FROM invites WHERE id = $1 AND org_id = $2 AND accepted_at IS NULL`, id, orgID)
	return affectedOne(res, err, "invite")
}

// InviteByToken finds a pending, unexpired invitation by its secret's hash.
func (s *Store) InviteByToken(ctx context.Context, tokenHash []byte) (Invite, error) {
	inv, err := scanInvite(s.read.QueryRowContext(ctx, `SELECT `+inviteColumns+` FROM invites
		WHERE token_hash = $1 AND accepted_at IS NULL AND expires_at > $2`, tokenHash, s.nowMicro()))
	if err != nil {
		return inv, notFound(err, "invite")
	}
	return inv, nil
}

// AcceptInvite consumes a pending invitation and creates its user, in one
// transaction, so a link works once.
func (s *Store) AcceptInvite(ctx context.Context, tokenHash []byte, passwordHash string) (User, error) {
	now := s.nowMicro()
	var u User
	err := s.InTx(ctx, func(tx *sql.Tx) error {
		inv, err := scanInvite(tx.QueryRowContext(ctx, `UPDATE invites SET accepted_at = $1
			WHERE token_hash = $2 AND accepted_at IS NULL AND expires_at > $1 RETURNING `+inviteColumns, now, tokenHash))
		if err != nil {
			return notFound(err, "invite")
		}
		u = User{ID: NewID("usr_"), OrgID: inv.OrgID, Email: inv.Email, Role: inv.Role, PasswordHash: passwordHash,
			CreatedAt: time.UnixMicro(now).UTC()}
		if _, err := tx.ExecContext(ctx, `INSERT INTO users (`+userInsertColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
			u.ID, u.OrgID, u.Email, u.Role, u.PasswordHash, now); err != nil {
			return uniqueErr(err, "user email")
		}
		return nil
	})
	return u, err
}

// APIKey is the listing form of an API key: its prefix, never the key.
type APIKey struct {
	ID        string
	Prefix    string
	CreatedAt time.Time
	RevokedAt *time.Time
}

// APIKeys lists orgID's API keys, newest first, revoked ones included.
func (s *Store) APIKeys(ctx context.Context, orgID string) ([]APIKey, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, prefix, created_at, revoked_at FROM api_keys
		WHERE org_id = $1 ORDER BY created_at DESC, id`, orgID)
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	defer rows.Close()
	var out []APIKey
	for rows.Next() {
		var k APIKey
		var created int64
		var revoked sql.NullInt64
		if err := rows.Scan(&k.ID, &k.Prefix, &created, &revoked); err != nil {
			return nil, fmt.Errorf("list api keys: %w", err)
		}
		k.CreatedAt, k.RevokedAt = time.UnixMicro(created).UTC(), fromMicro(revoked)
		out = append(out, k)
	}
	return out, rows.Err()
}

// RevokeAPIKey stops one API key of orgID from working, at once.
func (s *Store) RevokeAPIKey(ctx context.Context, orgID, id string) error {
	res, err := s.write.ExecContext(ctx, `UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND org_id = $3 AND revoked_at IS NULL`,
		s.nowMicro(), id, orgID)
	return affectedOne(res, err, "api key")
}

// LockUser refuses sign-in to a user until until, after many failed
// attempts; an earlier lock that ends later is kept.
func (s *Store) LockUser(ctx context.Context, userID string, until time.Time) error {
	if _, err := s.write.ExecContext(ctx, `UPDATE users SET locked_until = $1 WHERE id = $2 AND locked_until < $1`,
		until.UnixMicro(), userID); err != nil {
		return fmt.Errorf("lock user: %w", err)
	}
	return nil
}

// UserLockedUntil is when a user's sign-in lock ends; the zero time when
// the user is not locked (or the lock has passed).
func (s *Store) UserLockedUntil(ctx context.Context, userID string) (time.Time, error) {
	var until int64
	if err := s.read.QueryRowContext(ctx, `SELECT locked_until FROM users WHERE id = $1`, userID).Scan(&until); err != nil {
		return time.Time{}, notFound(err, "user")
	}
	if t := time.UnixMicro(until).UTC(); t.After(s.now()) {
		return t, nil
	}
	return time.Time{}, nil
}

// LockedUsers maps each currently locked user of orgID to the end of the lock.
func (s *Store) LockedUsers(ctx context.Context, orgID string) (map[string]time.Time, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, locked_until FROM users WHERE org_id = $1 AND locked_until > $2`,
		orgID, s.now().UnixMicro())
	if err != nil {
		return nil, fmt.Errorf("list locked users: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var id string
		var until int64
		if err := rows.Scan(&id, &until); err != nil {
			return nil, fmt.Errorf("list locked users: %w", err)
		}
		out[id] = time.UnixMicro(until).UTC()
	}
	return out, rows.Err()
}

// UnlockUser lifts the sign-in lock of one user of orgID.
func (s *Store) UnlockUser(ctx context.Context, orgID, userID string) error {
	res, err := s.write.ExecContext(ctx, `UPDATE users SET locked_until = 0 WHERE id = $1 AND org_id = $2`, userID, orgID)
	return affectedOne(res, err, "user")
}
