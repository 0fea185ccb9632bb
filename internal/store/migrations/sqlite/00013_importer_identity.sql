-- +goose Up
-- Signed end users (issue 15): an importer may require the host app to
-- sign its end user ({user, metadata, exp}, HS256) with the importer's
-- identity secret. The secret is sealed by the vault like a destination's
-- settings (its own data key, wrapped by the master key, bound to the
-- importer), so the database and its backups never hold it in clear. NULL
-- until the importer first turns identities on.
ALTER TABLE importers ADD COLUMN require_identity INTEGER NOT NULL DEFAULT 0;
ALTER TABLE importers ADD COLUMN identity_secret_sealed BLOB;

-- +goose Down
ALTER TABLE importers DROP COLUMN identity_secret_sealed;
ALTER TABLE importers DROP COLUMN require_identity;
