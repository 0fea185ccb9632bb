package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/intakehq/intake/internal/importlog"
)

// Event is an import-log event to append.
type Event = importlog.Event

// LogEntry is a stored import-log event.
type LogEntry struct {
	Seq  int64           `json:"seq"`
	Kind importlog.Kind  `json:"kind"`
	At   time.Time       `json:"at"`
	Data json.RawMessage `json:"data"`
}

func (s *Store) appendEvent(ctx context.Context, tx *sql.Tx, orgID, importID string, e Event) error {
	data, err := importlog.Encode(e)
	if err != nil {
		return err
	}
	if _, err := s.txExec(ctx, tx, `INSERT INTO import_events (org_id, import_id, kind, at, data) VALUES ($1, $2, $3, $4, $5)`,
		orgID, importID, string(e.Kind()), s.nowMicro(), string(data)); err != nil {
		return fmt.Errorf("append %s event: %w", e.Kind(), err)
	}
	return nil
}

// AppendEvent adds one event to an import's log.
func (s *Store) AppendEvent(ctx context.Context, orgID, importID string, e Event) error {
	return s.InTx(ctx, func(tx *sql.Tx) error { return s.appendEvent(ctx, tx, orgID, importID, e) })
}

// ImportLog returns the events of one import of orgID after sequence number
// after (0: from the first), oldest first, at most limit of them (0: all).
func (s *Store) ImportLog(ctx context.Context, orgID, importID string, after int64, limit int) ([]LogEntry, error) {
	query := `SELECT seq, kind, at, data FROM import_events
		WHERE org_id = $1 AND import_id = $2 AND seq > $3 ORDER BY seq`
	args := []any{orgID, importID, after}
	if limit > 0 {
		query += ` LIMIT $4`
		args = append(args, limit)
	}
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("import log: %w", err)
	}
	defer rows.Close()
	out := []LogEntry{}
	for rows.Next() {
		var e LogEntry
		var at int64
		var data string
		if err := rows.Scan(&e.Seq, &e.Kind, &at, &data); err != nil {
			return nil, fmt.Errorf("import log: %w", err)
		}
		e.At, e.Data = time.UnixMicro(at).UTC(), json.RawMessage(data)
		out = append(out, e)
	}
	return out, rows.Err()
}
