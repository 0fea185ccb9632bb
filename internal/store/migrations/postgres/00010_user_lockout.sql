-- +goose Up
-- A user locked after many failed sign-ins (password or code) cannot sign
-- in until locked_until (microseconds since the epoch) has passed or an
-- owner unlocks them; 0 is not locked. Failures themselves are counted in
-- memory only and the client's address is never stored.
ALTER TABLE users ADD COLUMN locked_until BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE users DROP COLUMN locked_until;
