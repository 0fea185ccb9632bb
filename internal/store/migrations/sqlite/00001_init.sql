-- +goose Up
CREATE TABLE organizations (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    prefix     TEXT NOT NULL,
    hash       BLOB NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE importers (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    public_key      TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    template        TEXT NOT NULL,
    mode            TEXT NOT NULL,
    retention_days  INTEGER NOT NULL,
    allowed_origins TEXT NOT NULL,
    allow_invalid   INTEGER NOT NULL,
    max_rows        BIGINT NOT NULL,
    max_file_bytes  BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    deleted_at      BIGINT
);
CREATE INDEX importers_org ON importers (org_id, created_at);

CREATE TABLE imports (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    importer_id      TEXT NOT NULL REFERENCES importers (id),
    status           TEXT NOT NULL,
    columns          TEXT NOT NULL,
    source_format    TEXT NOT NULL,
    source_bytes     BIGINT NOT NULL,
    expected_rows    BIGINT NOT NULL,
    rows_received    BIGINT NOT NULL DEFAULT 0,
    rows_with_errors BIGINT NOT NULL DEFAULT 0,
    chunks_received  INTEGER NOT NULL DEFAULT 0,
    bytes_stored     BIGINT NOT NULL DEFAULT 0,
    token_hash       BLOB NOT NULL,
    token_expires_at BIGINT NOT NULL,
    wrapped_key      BLOB,
    sealed_context   BLOB,
    created_at       BIGINT NOT NULL,
    completed_at     BIGINT,
    expires_at       BIGINT,
    purged_at        BIGINT
);
CREATE INDEX imports_org ON imports (org_id, importer_id, created_at);
CREATE INDEX imports_expiry ON imports (expires_at) WHERE purged_at IS NULL;

CREATE TABLE chunks (
    import_id        TEXT NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    n                INTEGER NOT NULL,
    first_row        BIGINT NOT NULL,
    row_count        INTEGER NOT NULL,
    rows_with_errors INTEGER NOT NULL,
    error_columns    TEXT NOT NULL,
    body_hash        BLOB NOT NULL,
    blob_key         TEXT NOT NULL,
    sealed_bytes     BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    PRIMARY KEY (import_id, n)
);

CREATE TABLE unique_claims (
    import_id TEXT NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    col       INTEGER NOT NULL,
    key_hash  BLOB NOT NULL,
    row_index BIGINT NOT NULL,
    PRIMARY KEY (import_id, col, key_hash)
) WITHOUT ROWID;

CREATE TABLE import_events (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id    TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    import_id TEXT NOT NULL,
    kind      TEXT NOT NULL,
    at        BIGINT NOT NULL,
    data      TEXT NOT NULL
);
CREATE INDEX import_events_import ON import_events (import_id, seq);

-- +goose Down
DROP TABLE import_events;
DROP TABLE unique_claims;
DROP TABLE chunks;
DROP TABLE imports;
DROP TABLE importers;
DROP TABLE api_keys;
DROP TABLE users;
DROP TABLE organizations;
