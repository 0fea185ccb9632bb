-- +goose Up
-- data_deleted_at marks a purge as finished: the key was shredded (status
-- purged, purged_at) and then the blobs, chunk rows and unique claims were
-- deleted. A purged import without it is finished by the next purge run.
ALTER TABLE imports ADD COLUMN data_deleted_at BIGINT;
CREATE INDEX imports_purge_pending ON imports (purged_at) WHERE status = 'purged' AND data_deleted_at IS NULL;
CREATE INDEX imports_abandoned ON imports (token_expires_at) WHERE status IN ('uploading', 'failed');
-- Deletion on demand walks an organization's live imports in id order.
CREATE INDEX imports_live ON imports (org_id, id) WHERE status <> 'purged';

-- receipt_chains holds the head of each organization's chain of deletion
-- receipts (the hash of its last receipt) and their number; its row is also
-- the lock that serializes an organization's purges.
CREATE TABLE receipt_chains (
    org_id   TEXT PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    head     BLOB NOT NULL,
    receipts BIGINT NOT NULL
);
CREATE INDEX import_events_receipts ON import_events (org_id, seq) WHERE kind = 'import.purged';

-- +goose Down
DROP INDEX import_events_receipts;
DROP TABLE receipt_chains;
DROP INDEX imports_live;
DROP INDEX imports_abandoned;
DROP INDEX imports_purge_pending;
ALTER TABLE imports DROP COLUMN data_deleted_at;
