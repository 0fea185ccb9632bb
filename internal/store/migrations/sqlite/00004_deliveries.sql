-- +goose Up
-- destinations are where an importer's imports are delivered. Their
-- settings (URL, signing secrets, S3 credentials, PostgreSQL DSN, headers)
-- are one JSON document sealed by the vault under a key of the
-- destination's own, wrapped by the master key: sealed_settings holds both,
-- and nothing of it is readable in the database. A deleted destination
-- keeps its row (deliveries name it) without its settings.
CREATE TABLE destinations (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    importer_id     TEXT NOT NULL REFERENCES importers (id) ON DELETE CASCADE,
    kind            TEXT NOT NULL,
    batch_size      INTEGER NOT NULL,
    parallel        INTEGER NOT NULL,
    sealed_settings BLOB,
    disabled_at     BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    deleted_at      BIGINT
);
CREATE INDEX destinations_importer ON destinations (importer_id, created_at) WHERE deleted_at IS NULL;

-- deliveries are one import going to one destination, with the progress a
-- resumed job starts from; batch_size and parallel are copied from the
-- destination when the delivery is created and never change.
CREATE TABLE deliveries (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    import_id      TEXT NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    destination_id TEXT NOT NULL REFERENCES destinations (id) ON DELETE CASCADE,
    batch_size     INTEGER NOT NULL,
    parallel       INTEGER NOT NULL,
    state          TEXT NOT NULL,
    acked          BIGINT NOT NULL,
    failures       INTEGER NOT NULL,
    next_retry     BIGINT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX deliveries_import ON deliveries (import_id, created_at);

-- delivery_attempts is the delivery log: status codes, latencies, causes.
-- It never holds a payload or a response body.
CREATE TABLE delivery_attempts (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id    TEXT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    message        TEXT NOT NULL,
    batch          BIGINT NOT NULL,
    number         INTEGER NOT NULL,
    started_at     BIGINT NOT NULL,
    latency_us     BIGINT NOT NULL,
    status         INTEGER NOT NULL,
    outcome        TEXT NOT NULL,
    error          TEXT NOT NULL,
    retry_after_ms BIGINT NOT NULL,
    next_retry     BIGINT
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts (delivery_id, seq);

-- +goose Down
DROP TABLE delivery_attempts;
DROP TABLE deliveries;
DROP TABLE destinations;
