-- +goose Up
-- A chunk's claim runs next to one another, in a table with rowids: the
-- runs are in the order they were stored, and the key (import, chunk,
-- bucket) is an index of its own, where (import, bucket, chunk) without
-- rowids sent each run to a page of its own bucket, often split there (143
-- WAL frames a chunk of 10,000 claims in 32 buckets; 46 in this table, with
-- the 12-byte claims of the code beside it).
-- The merge reaches one bucket of every chunk through the chunks table, a
-- lookup a chunk: in the index, whose entries are small, not among the runs,
-- whose every key compared was read whole, overflow pages and all. The
-- runs of imports in flight are kept.
CREATE TABLE claim_runs_by_chunk (
    import_id TEXT NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    n         INTEGER NOT NULL,
    bucket    INTEGER NOT NULL,
    claims    BLOB NOT NULL,
    PRIMARY KEY (import_id, n, bucket)
);
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
