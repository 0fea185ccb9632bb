-- +goose Up
-- File imports: an import whose file a program sent (API, command line) or
-- a watched source dropped, parsed and validated on the server by a job.
-- The file itself is sealed with the import's data key in the blob store
-- (under the import's prefix, so a purge deletes it); sealed_spec holds
-- the parse options, the column positions and the upload token the job
-- sends its chunks with, sealed with the same key. Nothing here is a cell
-- value or a header's text.
CREATE TABLE file_imports (
    import_id        TEXT PRIMARY KEY REFERENCES imports (id) ON DELETE CASCADE,
    org_id           TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    state            TEXT NOT NULL,
    source_segments  INTEGER NOT NULL,
    sealed_spec      BLOB NOT NULL,
    rows_parsed      BIGINT NOT NULL DEFAULT 0,
    errors_total     BIGINT NOT NULL DEFAULT 0,
    failure_code     TEXT NOT NULL DEFAULT '',
    failure_message  TEXT NOT NULL DEFAULT '',
    watch_claim      TEXT NOT NULL DEFAULT '',
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);

-- The error report of a file import: where a cell failed and which rule,
-- never the cell. Bounded per import by the job (MaxReportErrors).
CREATE TABLE file_import_errors (
    import_id  TEXT NOT NULL REFERENCES file_imports (import_id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    row_number BIGINT NOT NULL,
    column_key TEXT NOT NULL,
    code       TEXT NOT NULL,
    PRIMARY KEY (import_id, seq)
);

-- A watched S3 prefix per importer; credentials are sealed with the
-- master key (vault.SealSecret), as destinations' are.
CREATE TABLE importer_watches (
    importer_id        TEXT PRIMARY KEY REFERENCES importers (id) ON DELETE CASCADE,
    org_id             TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    bucket             TEXT NOT NULL,
    prefix             TEXT NOT NULL,
    region             TEXT NOT NULL,
    endpoint           TEXT NOT NULL,
    after              TEXT NOT NULL,
    done_prefix        TEXT NOT NULL,
    sealed_credentials BLOB,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);

-- One claim per object version seen in a watched prefix: taken in the
-- transaction that enqueues its job, so each object (key and ETag) is
-- imported once across restarts and replicas.
CREATE TABLE watch_claims (
    id          TEXT PRIMARY KEY,
    importer_id TEXT NOT NULL REFERENCES importers (id) ON DELETE CASCADE,
    object_key  TEXT NOT NULL,
    etag        TEXT NOT NULL,
    state       TEXT NOT NULL,
    import_id   TEXT NOT NULL DEFAULT '',
    claimed_at  BIGINT NOT NULL,
    UNIQUE (importer_id, object_key, etag)
);

-- +goose Down
DROP TABLE watch_claims;
DROP TABLE importer_watches;
DROP TABLE file_import_errors;
DROP TABLE file_imports;
