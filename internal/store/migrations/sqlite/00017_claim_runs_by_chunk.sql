-- +goose Up
-- A chunk's claim runs next to one another: keyed by (import, chunk,
-- bucket) rather than (import, bucket, chunk), a chunk's runs fill
-- consecutive pages where each went to a page of its own bucket, and was
-- often split there (143 WAL frames a chunk of 10,000 claims in 32
-- buckets; 63 keyed by chunk). The merge reaches one bucket of every chunk
-- through the chunks table. The runs of imports in flight are kept.
CREATE TABLE claim_runs_by_chunk (
    import_id TEXT NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    n         INTEGER NOT NULL,
    bucket    INTEGER NOT NULL,
    claims    BLOB NOT NULL,
    PRIMARY KEY (import_id, n, bucket)
) WITHOUT ROWID;
INSERT INTO claim_runs_by_chunk (import_id, n, bucket, claims) SELECT import_id, n, bucket, claims FROM claim_runs;
DROP TABLE claim_runs;
ALTER TABLE claim_runs_by_chunk RENAME TO claim_runs;

-- +goose Down
CREATE TABLE claim_runs_by_bucket (
    import_id TEXT NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    bucket    INTEGER NOT NULL,
    n         INTEGER NOT NULL,
    claims    BLOB NOT NULL,
    PRIMARY KEY (import_id, bucket, n)
) WITHOUT ROWID;
INSERT INTO claim_runs_by_bucket (import_id, bucket, n, claims) SELECT import_id, bucket, n, claims FROM claim_runs;
DROP TABLE claim_runs;
ALTER TABLE claim_runs_by_bucket RENAME TO claim_runs;
