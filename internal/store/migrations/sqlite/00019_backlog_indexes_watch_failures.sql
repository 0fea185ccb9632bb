-- +goose Up
-- The pending deliveries, for the backlog gauges that /metrics reads on a
-- scrape (Store.Backlog): an index of only the pending rows, holding what
-- the gauges count (created_at for the lag, failures for the retry queue),
-- so that a scrape reads the backlog and not the whole deliveries table.
CREATE INDEX deliveries_pending ON deliveries (created_at, failures) WHERE state = 'pending';

-- A watch claim whose object job failed run after run is given up as
-- failed (state 'failed') before the queue gives up on the job, which it
-- would do silently: failed_runs counts the runs that began and did not end
-- cleanly, failure_code and failed_at say why and when. Only the failed
-- claims are indexed, for the watch's list of them and the gauge.
ALTER TABLE watch_claims ADD COLUMN failed_runs INTEGER NOT NULL DEFAULT 0;
ALTER TABLE watch_claims ADD COLUMN failure_code TEXT NOT NULL DEFAULT '';
ALTER TABLE watch_claims ADD COLUMN failed_at BIGINT;
CREATE INDEX watch_claims_failed ON watch_claims (importer_id, failed_at) WHERE state = 'failed';

-- +goose Down
DROP INDEX watch_claims_failed;
ALTER TABLE watch_claims DROP COLUMN failed_at;
ALTER TABLE watch_claims DROP COLUMN failure_code;
ALTER TABLE watch_claims DROP COLUMN failed_runs;
DROP INDEX deliveries_pending;
