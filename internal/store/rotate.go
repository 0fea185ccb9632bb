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
	if c.Imports, c.Unchanged, err = s.rewrapColumn(ctx, "imports", "wrapped_key", keys); err != nil {
		return c, err
	}
	var same int
	c.Destinations, same, err = s.rewrapColumn(ctx, "destinations", "sealed_settings", secrets)
	c.Unchanged += same
	return c, err
}

// rewrapColumn walks table's non-null column (both names are constants of
// RewrapKeys, never input) by id.
func (s *Store) rewrapColumn(ctx context.Context, table, column string, rewrap Rewrap) (changed, same int, err error) {
	const batch = 500
	after := ""
	for {
		rows, err := s.read.QueryContext(ctx, `SELECT id, `+column+` FROM `+table+`
			WHERE `+column+` IS NOT NULL AND id > $1 ORDER BY id LIMIT $2`, after, batch)
		if err != nil {
			return changed, same, fmt.Errorf("rewrap %s: %w", table, err)
		}
		type item struct {
			id      string
			wrapped []byte
		}
		var items []item
		for rows.Next() {
			var it item
			if err := rows.Scan(&it.id, &it.wrapped); err != nil {
				rows.Close()
				return changed, same, fmt.Errorf("rewrap %s: %w", table, err)
			}
			items = append(items, it)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return changed, same, fmt.Errorf("rewrap %s: %w", table, err)
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
			res, err := s.write.ExecContext(ctx, `UPDATE `+table+` SET `+column+` = $1 WHERE id = $2 AND `+column+` = $3`,
				out, it.id, it.wrapped)
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
