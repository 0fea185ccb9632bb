-- +goose Up
-- Learned mappings: the header -> template key changes end users made in
-- the widget's matching step, per importer, proposed first next time.
-- header_norm is the matcher's normalised form of a header (never a cell
-- value); the store keeps at most MaxLearned entries per importer.
ALTER TABLE importers ADD COLUMN learn_mappings INTEGER NOT NULL DEFAULT 1;

CREATE TABLE learned_mappings (
    importer_id TEXT NOT NULL REFERENCES importers (id),
    header_norm TEXT NOT NULL,
    key         TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (importer_id, header_norm)
);
CREATE INDEX learned_mappings_age ON learned_mappings (importer_id, updated_at);

-- +goose Down
DROP TABLE learned_mappings;
ALTER TABLE importers DROP COLUMN learn_mappings;
