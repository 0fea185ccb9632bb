-- +goose Up
-- Optional TOTP second factor: the user's secret (NULL when off) and the
-- last time step accepted, so that a code works once. A session row with
-- mfa_pending set has passed the password but not yet the code; it signs
-- nobody in.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN mfa_pending INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE sessions DROP COLUMN mfa_pending;
ALTER TABLE users DROP COLUMN totp_last_step;
ALTER TABLE users DROP COLUMN totp_secret;
