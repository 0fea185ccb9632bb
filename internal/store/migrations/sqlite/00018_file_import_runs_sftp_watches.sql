-- +goose Up
-- The runs of a file import's job that began and did not end cleanly (an
-- error, a timeout, a crash): counted up as a run begins, down as it
-- yields. The job fails the import once it reaches the job's bound, before
-- the queue gives up on the job and leaves the import running for ever.
ALTER TABLE file_imports ADD COLUMN failed_runs INTEGER NOT NULL DEFAULT 0;

-- An SFTP watch pins its server's host key (an authorized_keys line or a
-- SHA256: fingerprint); empty for S3.
ALTER TABLE importer_watches ADD COLUMN host_key TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE importer_watches DROP COLUMN host_key;
ALTER TABLE file_imports DROP COLUMN failed_runs;
