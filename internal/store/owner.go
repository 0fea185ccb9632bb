package store

import (
	"context"
	"fmt"
)

// ImporterExists reports whether orgID owns the importer id, deleted or not
// (the data of a deleted importer can still be purged): an id of another
// organization is as unknown as one that never was.
func (s *Store) ImporterExists(ctx context.Context, orgID, id string) (bool, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM importers WHERE id = $1 AND org_id = $2`, id, orgID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("importer %s: %w", id, err)
	}
	return n > 0, nil
}
