package store

import (
	"context"
	"fmt"
)

// Rewrap turns one wrapped key (or sealed secret) of owner into its form
// under a new master key, or returns nil to leave it as it is.
type Rewrap func(ctx context.Context, ownerID string, wrapped []byte) ([]byte, error)

// RewrapCounts are what a master-key rotation rewrote.
type RewrapCounts struct {
	// Imports counts data keys rewrapped; destinations, sealed settings.
	Imports      int `json:"imports"`
	Destinations int `json:"destinations"`
	// Unchanged counts values that rewrap left as they were (already
	// under the new key: a rotation run again).
	Unchanged int `json:"unchanged"`
}

// RewrapKeys passes every data key of an import not yet purged through
// keys, and every destination's sealed settings through secrets, and
// stores what they return. Each value is replaced only if it is still the one read (a
// compare-and-swap), so that a purge shredding a key meanwhile, or a
// settings change, wins: a rotation never brings back a destroyed key. It
// reads in batches by id and calls rewrap outside any transaction (a KMS
// call may take a while).
func (s *Store) RewrapKeys(ctx context.Context, keys, secrets Rewrap) (RewrapCounts, error) {
	var c RewrapCounts
	var err error
	if c.Imports, c.Unchanged, err = s.rewrapColumn(ctx, importKeys, keys); err != nil {
		return c, err
	}
	var same int
	c.Destinations, same, err = s.rewrapColumn(ctx, destinationSecrets, secrets)
	c.Unchanged += same
	return c, err
}

// wrappedColumn is a column of wrapped keys, with its batch read (ids
// after $1, at most $2) and its compare-and-swap write.
type wrappedColumn struct{ table, read, swap string }

var (
	importKeys = wrappedColumn{"imports",
		`SELECT id, wrapped_key FROM imports WHERE wrapped_key IS NOT NULL AND id > $1 ORDER BY id LIMIT $2`,
		`UPDATE imports SET wrapped_key = $1 WHERE id = $2 AND wrapped_key = $3`}
	destinationSecrets = wrappedColumn{"destinations",
		`SELECT id, sealed_settings FROM destinations WHERE sealed_settings IS NOT NULL AND id > $1 ORDER BY id LIMIT $2`,
		`UPDATE destinations SET sealed_settings = $1 WHERE id = $2 AND sealed_settings = $3`}
)

// rewrapColumn walks col by id.
func (s *Store) rewrapColumn(ctx context.Context, col wrappedColumn, rewrap Rewrap) (changed, same int, err error) {
	table := col.table
	const batch = 500
	after := ""
	for {
		items, err := s.wrappedBatch(ctx, col, after, batch)
		if err != nil {
			return changed, same, err
		}
		for _, it := range items {
			out, err := rewrap(ctx, it.id, it.wrapped)
			if err != nil {
				return changed, same, fmt.Errorf("rewrap %s %s: %w", table, it.id, err)
			}
			if out == nil {
				same++
				continue
			}
			res, err := s.write.ExecContext(ctx, col.swap, out, it.id, it.wrapped)
			if err != nil {
				return changed, same, fmt.Errorf("rewrap %s %s: %w", table, it.id, err)
			}
			if n, _ := res.RowsAffected(); n == 1 {
				changed++
			}
		}
		if len(items) < batch {
			return changed, same, nil
		}
		after = items[len(items)-1].id
	}
}

// wrappedItem is one wrapped value and its owner's id.
type wrappedItem struct {
	id      string
	wrapped []byte
}

// wrappedBatch reads up to limit values of col with ids after after.
func (s *Store) wrappedBatch(ctx context.Context, col wrappedColumn, after string, limit int) ([]wrappedItem, error) {
	rows, err := s.read.QueryContext(ctx, col.read, after, limit)
	if err != nil {
		return nil, fmt.Errorf("rewrap %s: %w", col.table, err)
	}
	defer rows.Close()
	var items []wrappedItem
	for rows.Next() {
		var it wrappedItem
		if err := rows.Scan(&it.id, &it.wrapped); err != nil {
			return nil, fmt.Errorf("rewrap %s: %w", col.table, err)
		}
		items = append(items, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("rewrap %s: %w", col.table, err)
	}
	return items, nil
}
