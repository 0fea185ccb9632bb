-- +goose Up
-- Unique-value claims as sorted runs, one row per chunk and bucket (the top
-- bits of the keyed hash), merged when the import completes, instead of one
-- index entry per value: an index of random keyed hashes made every chunk
-- rewrite a page per value it claimed (7 µs a value in SQLite), where a
-- chunk's runs are written once, in one statement. Claims are 16 bytes (the
-- keyed hash, then the column and the row); the merge reads one bucket of
-- every chunk at a time, not every claim of the import. Claims of an import
-- still uploading when this migration runs are dropped with the old table:
-- its chunks sent before the upgrade are not checked against those sent
-- after it.
DROP TABLE unique_claims;
CREATE TABLE claim_runs (
    import_id TEXT NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    bucket    INTEGER NOT NULL,
    n         INTEGER NOT NULL,
    claims    BLOB NOT NULL,
    PRIMARY KEY (import_id, bucket, n)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE claim_runs;
CREATE TABLE unique_claims (
    import_id TEXT NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    col       INTEGER NOT NULL,
    key_hash  BIGINT NOT NULL,
    row_index BIGINT NOT NULL,
    PRIMARY KEY (import_id, col, key_hash)
) WITHOUT ROWID;
