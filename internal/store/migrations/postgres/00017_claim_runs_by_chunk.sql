-- +goose Up
-- A chunk's claim runs next to one another: keyed by (import, chunk,
-- bucket) rather than (import, bucket, chunk), a chunk's runs fill
-- consecutive index pages where each went to a page of its own bucket. The
-- merge reaches one bucket of every chunk through the chunks table. Code
-- before this reads a bucket with the same query, by a scan of the
-- import's runs instead of a range.
ALTER TABLE claim_runs DROP CONSTRAINT claim_runs_pkey;
ALTER TABLE claim_runs ADD PRIMARY KEY (import_id, n, bucket);

-- +goose Down
ALTER TABLE claim_runs DROP CONSTRAINT claim_runs_pkey;
ALTER TABLE claim_runs ADD PRIMARY KEY (import_id, bucket, n);
