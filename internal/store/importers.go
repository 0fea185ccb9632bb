package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// Importer modes.
const (
	ModeStored = "stored" // rows kept encrypted for RetentionDays
	ModeBypass = "bypass" // rows relayed to destinations, never stored
	ModeE2E    = "e2e"    // rows encrypted in the browser to the team's key
	ModeClient = "client" // rows go to the host page only
)

// Importer is one embeddable importer of an organization.
type Importer struct {
	ID             string          `json:"id"`
	OrgID          string          `json:"-"`
	Key            string          `json:"key"`
	Name           string          `json:"name"`
	Template       json.RawMessage `json:"template"`
	Mode           string          `json:"mode"`
	RetentionDays  int             `json:"retention_days"`
	AllowedOrigins []string        `json:"allowed_origins"`
	AllowInvalid   bool            `json:"allow_invalid"`
	MaxRows        int64           `json:"max_rows"`
	MaxFileBytes   int64           `json:"max_file_bytes"`
	// LearnMappings: the importer remembers the header → key changes end
	// users make in the matching step (learned.go); on by default.
	LearnMappings bool `json:"learn_mappings"`
	// RequireIdentity: uploads must carry an end user signed by the host
	// app with the importer's identity secret (internal/identity).
	RequireIdentity bool `json:"require_identity"`
	// IdentitySecretSealed is that secret, sealed by the vault; nil until
	// identities are first turned on. Never sent to a client.
	IdentitySecretSealed []byte `json:"-"`
	// Recipients are the age X25519 public keys ("age1…") an e2e importer's
	// widget encrypts rows to; a new list applies to new imports only.
	Recipients []string  `json:"recipients"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

const importerColumns = `id, org_id, public_key, name, template, mode, retention_days, allowed_origins,
	allow_invalid, max_rows, max_file_bytes, learn_mappings, require_identity, identity_secret_sealed, created_at, updated_at, recipients`

func scanImporter(row interface{ Scan(...any) error }) (Importer, error) {
	var im Importer
	var tmpl, origins, recipients string
	var created, updated int64
	err := row.Scan(&im.ID, &im.OrgID, &im.Key, &im.Name, &tmpl, &im.Mode, &im.RetentionDays, &origins,
		&im.AllowInvalid, &im.MaxRows, &im.MaxFileBytes, &im.LearnMappings, &im.RequireIdentity, &im.IdentitySecretSealed, &created, &updated, &recipients)
	if err != nil {
		return im, err
	}
	im.Template = json.RawMessage(tmpl)
	if err := json.Unmarshal([]byte(origins), &im.AllowedOrigins); err != nil {
		return im, fmt.Errorf("importer %s allowed_origins: %w", im.ID, err)
	}
	if err := json.Unmarshal([]byte(recipients), &im.Recipients); err != nil {
		return im, fmt.Errorf("importer %s recipients: %w", im.ID, err)
	}
	im.CreatedAt, im.UpdatedAt = time.UnixMicro(created).UTC(), time.UnixMicro(updated).UTC()
	return im, nil
}

// CreateImporter inserts im (its ID and Key are generated) for orgID.
func (s *Store) CreateImporter(ctx context.Context, orgID string, im Importer) (Importer, error) {
	im.ID, im.OrgID, im.Key = NewID("ipr_"), orgID, NewID("imp_")
	now := s.now().UTC().Truncate(time.Microsecond)
	im.CreatedAt, im.UpdatedAt = now, now
	origins, _ := json.Marshal(nonNil(im.AllowedOrigins))
	recipients, _ := json.Marshal(nonNil(im.Recipients))
	_, err := s.write.ExecContext(ctx, `INSERT INTO importers (`+importerColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
		im.ID, orgID, im.Key, im.Name, string(im.Template), im.Mode, im.RetentionDays, string(origins),
		im.AllowInvalid, im.MaxRows, im.MaxFileBytes, im.LearnMappings, im.RequireIdentity, im.IdentitySecretSealed, now.UnixMicro(), now.UnixMicro(),
		string(recipients))
	if err != nil {
		return im, fmt.Errorf("insert importer: %w", err)
	}
	im.AllowedOrigins, im.Recipients = nonNil(im.AllowedOrigins), nonNil(im.Recipients)
	return im, nil
}

// UpdateImporter stores every editable field of im, scoped by orgID.
func (s *Store) UpdateImporter(ctx context.Context, orgID string, im Importer) (Importer, error) {
	origins, _ := json.Marshal(nonNil(im.AllowedOrigins))
	recipients, _ := json.Marshal(nonNil(im.Recipients))
	now := s.now().UTC().Truncate(time.Microsecond)
	res, err := s.write.ExecContext(ctx, `UPDATE importers SET name = $1, template = $2, mode = $3, retention_days = $4,
		allowed_origins = $5, allow_invalid = $6, max_rows = $7, max_file_bytes = $8, learn_mappings = $9,
		require_identity = $10, identity_secret_sealed = $11, updated_at = $12, recipients = $15
		WHERE id = $13 AND org_id = $14 AND deleted_at IS NULL`,
		im.Name, string(im.Template), im.Mode, im.RetentionDays, string(origins), im.AllowInvalid,
		im.MaxRows, im.MaxFileBytes, im.LearnMappings, im.RequireIdentity, im.IdentitySecretSealed, now.UnixMicro(), im.ID, orgID,
		string(recipients))
	if err := affectedOne(res, err, "importer"); err != nil {
		return im, err
	}
	im.UpdatedAt = now
	return im, nil
}

// Importer returns one live importer of orgID.
func (s *Store) Importer(ctx context.Context, orgID, id string) (Importer, error) {
	im, err := scanImporter(s.read.QueryRowContext(ctx, `SELECT `+importerColumns+` FROM importers
		WHERE id = $1 AND org_id = $2 AND deleted_at IS NULL`, id, orgID))
	if err != nil {
		return im, notFound(err, "importer")
	}
	return im, nil
}

// ImporterByKey resolves a public importer key (imp_…), for the widget and
// the upload API, which carry no organization credentials.
func (s *Store) ImporterByKey(ctx context.Context, key string) (Importer, error) {
	im, err := scanImporter(s.read.QueryRowContext(ctx, `SELECT `+importerColumns+` FROM importers
		WHERE public_key = $1 AND deleted_at IS NULL`, key))
	if err != nil {
		return im, notFound(err, "importer")
	}
	return im, nil
}

// Importers lists orgID's live importers, oldest first.
func (s *Store) Importers(ctx context.Context, orgID string) ([]Importer, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+importerColumns+` FROM importers
		WHERE org_id = $1 AND deleted_at IS NULL ORDER BY created_at, id`, orgID)
	if err != nil {
		return nil, fmt.Errorf("list importers: %w", err)
	}
	defer rows.Close()
	out := []Importer{}
	for rows.Next() {
		im, err := scanImporter(rows)
		if err != nil {
			return nil, fmt.Errorf("list importers: %w", err)
		}
		out = append(out, im)
	}
	return out, rows.Err()
}

// DeleteImporter marks an importer deleted: its key stops working at once;
// its imports stay until purged.
func (s *Store) DeleteImporter(ctx context.Context, orgID, id string) error {
	res, err := s.write.ExecContext(ctx, `UPDATE importers SET deleted_at = $1 WHERE id = $2 AND org_id = $3 AND deleted_at IS NULL`,
		s.nowMicro(), id, orgID)
	return affectedOne(res, err, "importer")
}

func affectedOne(res sql.Result, err error, what string) error {
	if err != nil {
		return fmt.Errorf("update %s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("update %s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// DemoOrgName is the organization that owns the demo importer. It has no
// users and no API keys: nothing can sign in to it.
const DemoOrgName = "intake-demo"

// EnsureDemoImporter makes sure an importer with the fixed public key exists
// (in the demo organization, stored mode, kept 1 day) so /demo works on a
// fresh install. It leaves an existing one as it is.
func (s *Store) EnsureDemoImporter(ctx context.Context, key string, template json.RawMessage) error {
	if _, err := s.ImporterByKey(ctx, key); err == nil {
		return nil
	}
	now := s.nowMicro()
	return s.InTx(ctx, func(tx *sql.Tx) error {
		orgID := NewID("org_")
		if _, err := tx.ExecContext(ctx, `INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3)
			ON CONFLICT (name) DO NOTHING`, orgID, DemoOrgName, now); err != nil {
			return fmt.Errorf("demo organization: %w", err)
		}
		if err := tx.QueryRowContext(ctx, `SELECT id FROM organizations WHERE name = $1`, DemoOrgName).Scan(&orgID); err != nil {
			return fmt.Errorf("demo organization: %w", err)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO importers (`+importerColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) ON CONFLICT (public_key) DO NOTHING`,
			NewID("ipr_"), orgID, key, "Demo: customers", string(template), ModeStored, 1, "[]", false, 100000, 50<<20, false, false, nil, now, now, "[]")
		if err != nil {
			return fmt.Errorf("demo importer: %w", err)
		}
		return nil
	})
}
