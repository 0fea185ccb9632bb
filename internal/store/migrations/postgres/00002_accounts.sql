-- +goose Up
-- Dashboard accounts: server-side sessions (only the SHA-256 of the cookie's
-- random id is kept), single-use invitations, and the one-time setup token
-- `intake serve` prints while no user exists.
CREATE TABLE sessions (
    id_hash      BYTEA PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE invites (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email       TEXT NOT NULL,
    role        TEXT NOT NULL,
    token_hash  BYTEA NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    accepted_at BIGINT
);
CREATE INDEX invites_org ON invites (org_id, created_at);

CREATE TABLE setup_tokens (
    hash       BYTEA PRIMARY KEY,
    expires_at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE setup_tokens;
DROP TABLE invites;
DROP TABLE sessions;
