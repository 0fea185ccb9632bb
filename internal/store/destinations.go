package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Destination kinds.
const (
	KindWebhook  = "webhook"
	KindS3       = "s3"
	KindPostgres = "postgres"
)

// Destination is where an importer's imports are delivered. Its settings
// are sealed by the vault before they reach the store (they hold signing
// secrets, credentials and connection strings): the store keeps the sealed
// bytes and never sees them in clear.
type Destination struct {
	ID         string
	OrgID      string
	ImporterID string
	Kind       string
	// BatchSize and Parallel are copied onto each new delivery.
	BatchSize int
	Parallel  int
	// SealedSettings is the vault's sealed form of the settings.
	SealedSettings []byte
	// DisabledAt is set when a receiver answered 410 Gone.
	DisabledAt *time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

const destinationColumns = `id, org_id, importer_id, kind, batch_size, parallel, sealed_settings, disabled_at, created_at, updated_at`

func scanDestination(row interface{ Scan(...any) error }) (Destination, error) {
	var d Destination
	var disabled sql.NullInt64
	var created, updated int64
	if err := row.Scan(&d.ID, &d.OrgID, &d.ImporterID, &d.Kind, &d.BatchSize, &d.Parallel, &d.SealedSettings,
		&disabled, &created, &updated); err != nil {
		return d, err
	}
	d.DisabledAt = fromMicro(disabled)
	d.CreatedAt, d.UpdatedAt = time.UnixMicro(created).UTC(), time.UnixMicro(updated).UTC()
	return d, nil
}

// CreateDestination inserts d for a live importer of d.OrgID; d.ID must be
// set (the settings are sealed for it before it is stored).
func (s *Store) CreateDestination(ctx context.Context, d Destination) (Destination, error) {
	now := s.now().UTC().Truncate(time.Microsecond)
	d.CreatedAt, d.UpdatedAt = now, now
	res, err := s.write.ExecContext(ctx, `INSERT INTO destinations (`+destinationColumns+`)
		SELECT $1, $2, id, $3, $4, $5, $6, NULL, $7, $7 FROM importers WHERE id = $8 AND org_id = $2 AND deleted_at IS NULL`,
		d.ID, d.OrgID, d.Kind, d.BatchSize, d.Parallel, d.SealedSettings, now.UnixMicro(), d.ImporterID)
	if err := affectedOne(res, err, "importer"); err != nil {
		return d, err
	}
	return d, nil
}

// UpdateDestination stores d's batch size, parallelism, settings and
// disabled mark, scoped by organization and importer.
func (s *Store) UpdateDestination(ctx context.Context, d Destination) (Destination, error) {
	now := s.now().UTC().Truncate(time.Microsecond)
	var disabled *int64
	if d.DisabledAt != nil {
		v := d.DisabledAt.UnixMicro()
		disabled = &v
	}
	res, err := s.write.ExecContext(ctx, `UPDATE destinations SET batch_size = $1, parallel = $2, sealed_settings = $3,
		disabled_at = $4, updated_at = $5 WHERE id = $6 AND org_id = $7 AND importer_id = $8 AND deleted_at IS NULL`,
		d.BatchSize, d.Parallel, d.SealedSettings, disabled, now.UnixMicro(), d.ID, d.OrgID, d.ImporterID)
	if err := affectedOne(res, err, "destination"); err != nil {
		return d, err
	}
	d.UpdatedAt = now
	return d, nil
}

// Destination returns a live destination of an importer of orgID.
func (s *Store) Destination(ctx context.Context, orgID, importerID, id string) (Destination, error) {
	d, err := scanDestination(s.read.QueryRowContext(ctx, `SELECT `+destinationColumns+` FROM destinations
		WHERE id = $1 AND org_id = $2 AND importer_id = $3 AND deleted_at IS NULL`, id, orgID, importerID))
	if err != nil {
		return d, notFound(err, "destination")
	}
	return d, nil
}

// DestinationByID returns a live destination by id alone, for the delivery
// worker, which holds only the id of a delivery it was given.
func (s *Store) DestinationByID(ctx context.Context, id string) (Destination, error) {
	d, err := scanDestination(s.read.QueryRowContext(ctx, `SELECT `+destinationColumns+` FROM destinations
		WHERE id = $1 AND deleted_at IS NULL`, id))
	if err != nil {
		return d, notFound(err, "destination")
	}
	return d, nil
}

// Destinations lists the live destinations of an importer of orgID, oldest
// first.
func (s *Store) Destinations(ctx context.Context, orgID, importerID string) ([]Destination, error) {
	return s.destinations(ctx, s.read, orgID, importerID)
}

// DestinationsTx is Destinations inside tx, for enqueuing deliveries in the
// transaction that completes an import.
func (s *Store) DestinationsTx(ctx context.Context, tx *sql.Tx, orgID, importerID string) ([]Destination, error) {
	return s.destinations(ctx, tx, orgID, importerID)
}

func (s *Store) destinations(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, orgID, importerID string) ([]Destination, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+destinationColumns+` FROM destinations
		WHERE org_id = $1 AND importer_id = $2 AND deleted_at IS NULL ORDER BY created_at, id`, orgID, importerID)
	if err != nil {
		return nil, fmt.Errorf("list destinations: %w", err)
	}
	defer rows.Close()
	out := []Destination{}
	for rows.Next() {
		d, err := scanDestination(rows)
		if err != nil {
			return nil, fmt.Errorf("list destinations: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// DeleteDestination marks a destination deleted and drops its sealed
// settings: secrets and credentials are gone with it, while its deliveries
// and their log stay readable.
func (s *Store) DeleteDestination(ctx context.Context, orgID, importerID, id string) error {
	res, err := s.write.ExecContext(ctx, `UPDATE destinations SET deleted_at = $1, sealed_settings = NULL
		WHERE id = $2 AND org_id = $3 AND importer_id = $4 AND deleted_at IS NULL`, s.nowMicro(), id, orgID, importerID)
	return affectedOne(res, err, "destination")
}

// DisableDestination marks a destination disabled (its receiver answered
// 410 Gone). Disabling twice keeps the first time.
func (s *Store) DisableDestination(ctx context.Context, id string) error {
	_, err := s.write.ExecContext(ctx, `UPDATE destinations SET disabled_at = $1 WHERE id = $2 AND disabled_at IS NULL`, s.nowMicro(), id)
	if err != nil {
		return fmt.Errorf("disable destination %s: %w", id, err)
	}
	return nil
}
