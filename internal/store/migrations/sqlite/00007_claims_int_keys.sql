-- +goose Up
-- Unique-value claims keyed by the first 8 bytes of their keyed HMAC as an
-- integer: a smaller index and integer comparisons make claiming about
-- twice as fast. Two distinct values of one import and column collide with
-- probability about n²/2⁶⁵ (3·10⁻⁸ at a million values): a false duplicate
-- error the end user sees, never a lost or merged row.
DROP TABLE unique_claims;
CREATE TABLE unique_claims (
    import_id TEXT NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    col       INTEGER NOT NULL,
    key_hash  BIGINT NOT NULL,
    row_index BIGINT NOT NULL,
    PRIMARY KEY (import_id, col, key_hash)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE unique_claims;
CREATE TABLE unique_claims (
    import_id TEXT NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    col       INTEGER NOT NULL,
    key_hash  BLOB NOT NULL,
    row_index BIGINT NOT NULL,
    PRIMARY KEY (import_id, col, key_hash)
) WITHOUT ROWID;
