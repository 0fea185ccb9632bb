package store

import (
	"context"
	"fmt"
	"time"
)

// sessionTouchEvery bounds how often a session's last-seen time is written:
// a page view within a minute of the last write costs no write.
const sessionTouchEvery = time.Minute

// CreateSession records a session by the hash of its cookie id. A pending
// one has passed the password and waits for the second factor: SessionUser
// does not find it.
func (s *Store) CreateSession(ctx context.Context, idHash []byte, userID string, pending bool) error {
	now := s.nowMicro()
	_, err := s.write.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, mfa_pending) VALUES ($1, $2, $3, $3, $4)`,
		idHash, userID, now, pending)
	if err != nil {
		return fmt.Errorf("insert session: %w", err)
	}
	return nil
}

// SessionUser resolves a session to its user and organization. A session
// idle for longer than idle, or older than absolute, is deleted and not
// found; a live one has its last-seen time moved forward.
func (s *Store) SessionUser(ctx context.Context, idHash []byte, idle, absolute time.Duration) (User, Organization, error) {
	var u User
	var o Organization
	var created, seen, userCreated int64
	err := s.read.QueryRowContext(ctx, `SELECT s.created_at, s.last_seen_at, u.id, u.org_id, u.email, u.role, u.password_hash,
		u.created_at, u.totp_sealed, o.name FROM sessions s JOIN users u ON u.id = s.user_id JOIN organizations o ON o.id = u.org_id
		WHERE s.id_hash = $1 AND s.mfa_pending = $2`, idHash, false).Scan(&created, &seen, &u.ID, &u.OrgID, &u.Email, &u.Role,
		&u.PasswordHash, &userCreated, &u.TOTPSealed, &o.Name)
	if err != nil {
		return u, o, notFound(err, "session")
	}
	u.CreatedAt, o.ID = time.UnixMicro(userCreated).UTC(), u.OrgID
	now := s.now()
	if now.Sub(time.UnixMicro(seen)) > idle || now.Sub(time.UnixMicro(created)) > absolute {
		if err := s.DeleteSession(ctx, idHash); err != nil {
			return u, o, err
		}
		return u, o, fmt.Errorf("session expired: %w", ErrNotFound)
	}
	if now.Sub(time.UnixMicro(seen)) > sessionTouchEvery {
		if _, err := s.write.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2`, now.UnixMicro(), idHash); err != nil {
			return u, o, fmt.Errorf("touch session: %w", err)
		}
	}
	return u, o, nil
}

// PendingSessionUser resolves a session waiting for its second factor, if
// it is younger than maxAge.
func (s *Store) PendingSessionUser(ctx context.Context, idHash []byte, maxAge time.Duration) (User, error) {
	u, err := scanUser(s.read.QueryRowContext(ctx, `SELECT u.id, u.org_id, u.email, u.role, u.password_hash, u.created_at, u.totp_sealed
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1 AND s.mfa_pending = $2 AND s.created_at > $3`,
		idHash, true, s.now().Add(-maxAge).UnixMicro()))
	if err != nil {
		return u, notFound(err, "pending session")
	}
	return u, nil
}

// DeleteSession ends one session (sign-out, expiry, rotation).
func (s *Store) DeleteSession(ctx context.Context, idHash []byte) error {
	if _, err := s.write.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = $1`, idHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions removes sessions past either timeout and returns
// how many went; the dashboard calls it at sign-in so the table stays small
// without a background job.
func (s *Store) DeleteExpiredSessions(ctx context.Context, idle, absolute time.Duration) (int64, error) {
	now := s.now()
	res, err := s.write.ExecContext(ctx, `DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2`,
		now.Add(-idle).UnixMicro(), now.Add(-absolute).UnixMicro())
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return res.RowsAffected()
}
