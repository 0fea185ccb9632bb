-- +goose Up
-- The blank rows (every cell empty after trimming) ingest dropped from a
-- chunk as sent: the chunk held row_count + rows_skipped rows, which is
-- what the client's row count at completion is checked against.
ALTER TABLE chunks ADD COLUMN rows_skipped INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE chunks DROP COLUMN rows_skipped;
