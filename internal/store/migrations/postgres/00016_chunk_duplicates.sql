-- +goose Up
-- The duplicates of a chunk found when its import completes (rows holding a
-- value of a unique column that a row before them, in another chunk,
-- holds): a small overlay sealed with the import's data key, holding
-- (row, column) pairs, which readers merge into the chunk's stored errors.
-- Sealing the chunk again with the errors added cost a read, a decode and
-- a seal of every chunk holding one. NULL for a chunk without.
ALTER TABLE chunks ADD COLUMN duplicates BYTEA;

-- +goose Down
ALTER TABLE chunks DROP COLUMN duplicates;
