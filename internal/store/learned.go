package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
	"unicode/utf8"
)

// Bounds of an importer's learned mappings. They are written by the widget's
// anonymous completion request, so both the list and each header are capped:
// the oldest entries are dropped past MaxLearned, and a longer header is not
// learned at all.
const (
	MaxLearned       = 500
	MaxLearnedHeader = 200
)

// LearnedMapping is one header → template key an end user chose in the
// matching step. Header is the matcher's normalised form of the file's
// header (mapping.Normalise), never a cell value; like a cell value it is
// kept out of logs, errors and the import log.
type LearnedMapping struct {
	Header    string    `json:"header"`
	Key       string    `json:"key"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Learn remembers pairs (headers already normalised, keys already checked
// against the template) for importerID, newest wins, then drops the oldest
// entries past MaxLearned. Empty or overlong headers and keys are skipped.
// It returns how many pairs it kept.
func (s *Store) Learn(ctx context.Context, importerID string, pairs []LearnedMapping) (int, error) {
	now := s.nowMicro()
	kept := 0
	err := s.InTx(ctx, func(tx *sql.Tx) error {
		for _, p := range pairs {
			if kept == MaxLearned {
				break
			}
			if p.Header == "" || p.Key == "" || utf8.RuneCountInString(p.Header) > MaxLearnedHeader || len(p.Key) > MaxLearnedHeader {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO learned_mappings (importer_id, header_norm, key, updated_at)
				VALUES ($1, $2, $3, $4) ON CONFLICT (importer_id, header_norm)
				DO UPDATE SET key = excluded.key, updated_at = excluded.updated_at`,
				importerID, p.Header, p.Key, now); err != nil {
				return fmt.Errorf("learn mapping: %w", err)
			}
			kept++
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM learned_mappings WHERE importer_id = $1 AND header_norm NOT IN
			(SELECT header_norm FROM learned_mappings WHERE importer_id = $1 ORDER BY updated_at DESC, header_norm LIMIT $2)`,
			importerID, MaxLearned); err != nil {
			return fmt.Errorf("bound learned mappings: %w", err)
		}
		return nil
	})
	return kept, err
}

// ImporterLearned lists importerID's learned mappings, newest first, for the
// widget, which resolved the importer by its public key (ImporterByKey).
func (s *Store) ImporterLearned(ctx context.Context, importerID string) ([]LearnedMapping, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT header_norm, key, updated_at FROM learned_mappings
		WHERE importer_id = $1 ORDER BY updated_at DESC, header_norm`, importerID)
	if err != nil {
		return nil, fmt.Errorf("list learned mappings: %w", err)
	}
	defer rows.Close()
	out := []LearnedMapping{}
	for rows.Next() {
		var m LearnedMapping
		var at int64
		if err := rows.Scan(&m.Header, &m.Key, &at); err != nil {
			return nil, fmt.Errorf("list learned mappings: %w", err)
		}
		m.UpdatedAt = time.UnixMicro(at).UTC()
		out = append(out, m)
	}
	return out, rows.Err()
}

// Learned lists the learned mappings of one live importer of orgID
// (ErrNotFound if orgID has no such importer).
func (s *Store) Learned(ctx context.Context, orgID, importerID string) ([]LearnedMapping, error) {
	if _, err := s.Importer(ctx, orgID, importerID); err != nil {
		return nil, err
	}
	return s.ImporterLearned(ctx, importerID)
}

// ForgetLearned deletes every learned mapping of one live importer of orgID
// (ErrNotFound if orgID has no such importer) and returns how many it deleted.
func (s *Store) ForgetLearned(ctx context.Context, orgID, importerID string) (int64, error) {
	res, err := s.write.ExecContext(ctx, `DELETE FROM learned_mappings WHERE importer_id =
		(SELECT id FROM importers WHERE id = $1 AND org_id = $2 AND deleted_at IS NULL)`, importerID, orgID)
	if err != nil {
		return 0, fmt.Errorf("forget learned mappings: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("forget learned mappings: %w", err)
	}
	if n == 0 {
		if _, err := s.Importer(ctx, orgID, importerID); err != nil {
			return 0, err
		}
	}
	return n, nil
}
