-- +goose Up
-- End-to-end encrypted importers: the age X25519 recipients (public keys,
-- "age1…") the widget encrypts rows to, as a JSON array. An import keeps
-- the list it was encrypted to, so a rotated importer's older imports
-- still name the keys that open them. Public keys only: no secret here.
ALTER TABLE importers ADD COLUMN recipients TEXT NOT NULL DEFAULT '[]';
ALTER TABLE imports ADD COLUMN recipients TEXT NOT NULL DEFAULT '[]';

-- +goose Down
ALTER TABLE imports DROP COLUMN recipients;
ALTER TABLE importers DROP COLUMN recipients;
