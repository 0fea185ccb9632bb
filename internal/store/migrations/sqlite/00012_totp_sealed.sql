-- +goose Up
-- The TOTP secret sealed by the vault like a destination's settings (its
-- own data key, wrapped by the master key, bound to the user), so that the
-- database file, its WAL and its backups no longer hold a second factor in
-- clear. The clear totp_secret of 00005 is left NULL: a server start seals
-- any clear secret still there and clears the column (SQL cannot: the
-- master key is not in the database). The column stays so that a rollback
-- of this migration keeps what it can read.
ALTER TABLE users ADD COLUMN totp_sealed BLOB;

-- +goose Down
ALTER TABLE users DROP COLUMN totp_sealed;
