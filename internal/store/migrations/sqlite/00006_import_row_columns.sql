-- +goose Up
-- The template column keys an import's rows were stored under, so that
-- reading, exporting and delivering name them right after the importer's
-- template changes.
ALTER TABLE imports ADD COLUMN row_columns TEXT NOT NULL DEFAULT '[]';

-- +goose Down
ALTER TABLE imports DROP COLUMN row_columns;
