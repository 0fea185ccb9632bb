package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Organization is a team using Intake, the unit of isolation.
type Organization struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Roles of a user in an organization.
const (
	RoleOwner  = "owner"
	RoleAdmin  = "admin"
	RoleMember = "member"
	RoleViewer = "viewer"
)

// CreateOrgWithOwner creates an organization, its owner and a first API key in
// one transaction. keyHash and keyPrefix come from the caller, which shows the
// key once and never stores it.
func (s *Store) CreateOrgWithOwner(ctx context.Context, name, email, passwordHash, keyPrefix string, keyHash []byte) (Organization, error) {
	org := Organization{ID: NewID("org_"), Name: name}
	now := s.nowMicro()
	err := s.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3)`,
			org.ID, name, now); err != nil {
			return uniqueErr(err, "organization name")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO users (id, org_id, email, password_hash, role, created_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, NewID("usr_"), org.ID, strings.ToLower(email), passwordHash, RoleOwner, now); err != nil {
			return uniqueErr(err, "user email")
		}
		return insertAPIKey(ctx, tx, org.ID, keyPrefix, keyHash, now)
	})
	return org, err
}

// OrgByName finds an organization by its unique name.
func (s *Store) OrgByName(ctx context.Context, name string) (Organization, error) {
	var o Organization
	err := s.read.QueryRowContext(ctx, `SELECT id, name FROM organizations WHERE name = $1`, name).Scan(&o.ID, &o.Name)
	if err != nil {
		return o, notFound(err, "organization")
	}
	return o, nil
}

// CreateAPIKey stores a new API key's hash for an organization.
func (s *Store) CreateAPIKey(ctx context.Context, orgID, prefix string, hash []byte) error {
	return s.InTx(ctx, func(tx *sql.Tx) error {
		return insertAPIKey(ctx, tx, orgID, prefix, hash, s.nowMicro())
	})
}

func insertAPIKey(ctx context.Context, tx *sql.Tx, orgID, prefix string, hash []byte, now int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO api_keys (id, org_id, prefix, hash, created_at) VALUES ($1, $2, $3, $4, $5)`,
		NewID("key_"), orgID, prefix, hash, now)
	if err != nil {
		return fmt.Errorf("insert api key: %w", err)
	}
	return nil
}

// OrgByAPIKeyHash resolves a bearer API key (by its hash) to its organization.
// Revoked keys are not found.
func (s *Store) OrgByAPIKeyHash(ctx context.Context, hash []byte) (Organization, error) {
	var o Organization
	err := s.read.QueryRowContext(ctx, `SELECT o.id, o.name FROM api_keys k JOIN organizations o ON o.id = k.org_id
		WHERE k.hash = $1 AND k.revoked_at IS NULL`, hash).Scan(&o.ID, &o.Name)
	if err != nil {
		return o, notFound(err, "api key")
	}
	return o, nil
}

// uniqueErr reports a unique-constraint violation as ErrConflict naming what
// collided (never the value).
func uniqueErr(err error, what string) error {
	msg := strings.ToLower(err.Error())
	if strings.Contains(msg, "unique") || strings.Contains(msg, "duplicate key") {
		return fmt.Errorf("%s already exists: %w", what, ErrConflict)
	}
	return fmt.Errorf("insert %s: %w", what, err)
}
