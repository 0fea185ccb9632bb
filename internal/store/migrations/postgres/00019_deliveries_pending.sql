-- +goose Up
-- The pending deliveries, for the backlog gauges that /metrics reads on a
-- scrape (Store.Backlog): an index of only the pending rows, holding what
-- the gauges count (created_at for the lag, failures for the retry queue),
-- so that a scrape reads the backlog and not the whole deliveries table.
CREATE INDEX deliveries_pending ON deliveries (created_at, failures) WHERE state = 'pending';

-- +goose Down
DROP INDEX deliveries_pending;
