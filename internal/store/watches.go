package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Watch is an importer's watched S3 prefix or SFTP folder (an Endpoint of
// sftp://user@host[:port], Prefix the folder): each new file in it is
// imported once, then tagged or moved (After).
type Watch struct {
	ImporterID string `json:"importer_id"`
	OrgID      string `json:"-"`
	Bucket     string `json:"bucket"`
	Prefix     string `json:"prefix"`
	Region     string `json:"region"`
	Endpoint   string `json:"endpoint,omitempty"`
	// After is what is done to an object once imported: "tag" (tag it
	// intake-import=<import id>) or "move" (copy it under DonePrefix and
	// delete it).
	After      string `json:"after"`
	DonePrefix string `json:"done_prefix,omitempty"`
	// HostKey pins an SFTP server's host key: an authorized_keys line or
	// its SHA256: fingerprint ("" for S3).
	HostKey string `json:"host_key,omitempty"`
	// SealedCredentials are the access key id and secret, sealed with the
	// master key (vault.SealSecret); nil for the default AWS chain.
	SealedCredentials []byte `json:"-"`
	// FailedObjects are the files the watch gave up on (Store.Watch fills
	// them in, latest first, at most maxFailedObjects): their keys and why,
	// never what they hold. Saving the watch again (PutWatch) retries them.
	FailedObjects []FailedObject `json:"failed_objects,omitempty"`
}

// FailedObject is a watched file whose job failed run after run.
type FailedObject struct {
	Key      string    `json:"key"`
	Code     string    `json:"code"`
	Runs     int       `json:"runs"`
	FailedAt time.Time `json:"failed_at"`
}

// maxFailedObjects bounds the failed objects a watch lists (the gauge
// counts them all).
const maxFailedObjects = 100

// What a watch does to an imported object.
const (
	AfterTag  = "tag"
	AfterMove = "move"
)

// Watch claim states: claimed when first seen (its job enqueued),
// importing once its file import exists, done once the object was tagged
// or moved; failed when its job failed too many runs to hand it over
// (FailWatchClaim), until the watch is saved again.
const (
	ClaimClaimed   = "claimed"
	ClaimImporting = "importing"
	ClaimDone      = "done"
	ClaimFailed    = "failed"
)

// WatchClaim is one object version taken by a watch.
type WatchClaim struct {
	ID         string
	ImporterID string
	Key, ETag  string
	State      string
	ImportID   string
}

const watchColumns = `importer_id, org_id, bucket, prefix, region, endpoint, after, done_prefix, sealed_credentials, host_key`

func scanWatch(row interface{ Scan(...any) error }) (Watch, error) {
	var w Watch
	err := row.Scan(&w.ImporterID, &w.OrgID, &w.Bucket, &w.Prefix, &w.Region, &w.Endpoint, &w.After, &w.DonePrefix, &w.SealedCredentials, &w.HostKey)
	return w, err
}

// PutWatch sets the watch of one of orgID's importers, replacing any, and
// forgets the claims of the files it gave up on (FailWatchClaim), which
// were never handed over: the next poll claims them afresh, so saving the
// watch (its credentials fixed, say) retries them.
func (s *Store) PutWatch(ctx context.Context, orgID string, w Watch) error {
	if _, err := s.Importer(ctx, orgID, w.ImporterID); err != nil {
		return err
	}
	return s.InTx(ctx, func(tx *sql.Tx) error {
		if err := s.putWatch(ctx, tx, orgID, w); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM watch_claims WHERE importer_id = $1 AND state = $2 AND import_id = ''`,
			w.ImporterID, ClaimFailed); err != nil {
			return fmt.Errorf("retry the watch's failed objects: %w", err)
		}
		return nil
	})
}

func (s *Store) putWatch(ctx context.Context, tx *sql.Tx, orgID string, w Watch) error {
	now := s.nowMicro()
	_, err := tx.ExecContext(ctx, `INSERT INTO importer_watches (`+watchColumns+`, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
		ON CONFLICT (importer_id) DO UPDATE SET bucket = excluded.bucket, prefix = excluded.prefix, region = excluded.region,
			endpoint = excluded.endpoint, after = excluded.after, done_prefix = excluded.done_prefix,
			sealed_credentials = excluded.sealed_credentials, host_key = excluded.host_key, updated_at = excluded.updated_at`,
		w.ImporterID, orgID, w.Bucket, w.Prefix, w.Region, w.Endpoint, w.After, w.DonePrefix, w.SealedCredentials, w.HostKey, now)
	if err != nil {
		return fmt.Errorf("put watch: %w", err)
	}
	return nil
}

// Watch returns the watch of one of orgID's importers, with the files it
// gave up on.
func (s *Store) Watch(ctx context.Context, orgID, importerID string) (Watch, error) {
	w, err := scanWatch(s.read.QueryRowContext(ctx, `SELECT `+watchColumns+` FROM importer_watches
		WHERE importer_id = $1 AND org_id = $2`, importerID, orgID))
	if err != nil {
		return w, notFound(err, "watch")
	}
	rows, err := s.read.QueryContext(ctx, `SELECT object_key, failure_code, failed_runs, failed_at FROM watch_claims
		WHERE importer_id = $1 AND state = '`+ClaimFailed+`' ORDER BY failed_at DESC LIMIT $2`, importerID, maxFailedObjects)
	if err != nil {
		return w, fmt.Errorf("failed objects of the watch: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var f FailedObject
		var at int64
		if err := rows.Scan(&f.Key, &f.Code, &f.Runs, &at); err != nil {
			return w, fmt.Errorf("failed objects of the watch: %w", err)
		}
		f.FailedAt = time.UnixMicro(at).UTC()
		w.FailedObjects = append(w.FailedObjects, f)
	}
	return w, rows.Err()
}

// BeginWatchClaimRun counts a run of a claim's object job as begun and
// returns the runs before it that did not end by handing the object over
// (each run counts itself: one cut by a crash never counts back). claimed
// is false when the claim is no longer waiting for its job: handed over,
// or failed.
func (s *Store) BeginWatchClaimRun(ctx context.Context, id string) (failedBefore int, claimed bool, err error) {
	var runs int
	err = s.write.QueryRowContext(ctx, `UPDATE watch_claims SET failed_runs = failed_runs + 1
		WHERE id = $1 AND state = $2 AND import_id = '' RETURNING failed_runs`, id, ClaimClaimed).Scan(&runs)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("begin a run of watch claim %s: %w", id, err)
	}
	return runs - 1, true, nil
}

// FailWatchClaim gives up on a claim not handed over, with a failure code
// (an enum, never the file's content), and reports whether it did: a claim
// is handed over (CreateFileImport) or failed, never both.
func (s *Store) FailWatchClaim(ctx context.Context, id, code string) (bool, error) {
	res, err := s.write.ExecContext(ctx, `UPDATE watch_claims SET state = $1, failure_code = $2, failed_at = $3
		WHERE id = $4 AND state = $5 AND import_id = ''`, ClaimFailed, code, s.nowMicro(), id, ClaimClaimed)
	if err != nil {
		return false, fmt.Errorf("fail watch claim %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// DeleteWatch stops watching for one of orgID's importers.
func (s *Store) DeleteWatch(ctx context.Context, orgID, importerID string) error {
	res, err := s.write.ExecContext(ctx, `DELETE FROM importer_watches WHERE importer_id = $1 AND org_id = $2`, importerID, orgID)
	return affectedOne(res, err, "watch")
}

// Watches lists every watch of an importer that is not deleted, across
// organizations: the poller's work list.
func (s *Store) Watches(ctx context.Context) ([]Watch, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT w.importer_id, w.org_id, w.bucket, w.prefix, w.region, w.endpoint, w.after,
		w.done_prefix, w.sealed_credentials, w.host_key FROM importer_watches w JOIN importers i ON i.id = w.importer_id
		WHERE i.deleted_at IS NULL ORDER BY w.importer_id`)
	if err != nil {
		return nil, fmt.Errorf("list watches: %w", err)
	}
	defer rows.Close()
	var out []Watch
	for rows.Next() {
		w, err := scanWatch(rows)
		if err != nil {
			return nil, fmt.Errorf("list watches: %w", err)
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// ClaimObject takes an object version (key and ETag) for importerID unless
// it was taken before, and runs enqueue with the new claim's id in the same
// transaction: the claim exists with its job or not at all, so a crash
// between the two loses nothing and a second poller (another replica, or
// this one after a restart) finds it taken. It reports whether this call
// took it.
func (s *Store) ClaimObject(ctx context.Context, importerID, key, etag string, enqueue func(tx *sql.Tx, claimID string) error) (bool, error) {
	took := false
	err := s.InTx(ctx, func(tx *sql.Tx) error {
		id := NewID("wcl_")
		var got string
		err := tx.QueryRowContext(ctx, `INSERT INTO watch_claims (id, importer_id, object_key, etag, state, claimed_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (importer_id, object_key, etag) DO NOTHING RETURNING id`,
			id, importerID, key, etag, ClaimClaimed, s.nowMicro()).Scan(&got)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("claim object: %w", err)
		}
		took = true
		return enqueue(tx, id)
	})
	return took, err
}

// WatchClaimByID returns a claim (for its jobs, which hold its id).
func (s *Store) WatchClaimByID(ctx context.Context, id string) (WatchClaim, error) {
	var c WatchClaim
	err := s.read.QueryRowContext(ctx, `SELECT id, importer_id, object_key, etag, state, import_id FROM watch_claims WHERE id = $1`, id).
		Scan(&c.ID, &c.ImporterID, &c.Key, &c.ETag, &c.State, &c.ImportID)
	if err != nil {
		return c, notFound(err, "watch claim")
	}
	return c, nil
}

// WatchClaimDone marks a claim's object tagged or moved.
func (s *Store) WatchClaimDone(ctx context.Context, id string) error {
	res, err := s.write.ExecContext(ctx, `UPDATE watch_claims SET state = $1 WHERE id = $2`, ClaimDone, id)
	return affectedOne(res, err, "watch claim")
}

// WatchClaims lists an importer's claims, oldest first (for tests and the API).
func (s *Store) WatchClaims(ctx context.Context, orgID, importerID string) ([]WatchClaim, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT c.id, c.importer_id, c.object_key, c.etag, c.state, c.import_id
		FROM watch_claims c JOIN importers i ON i.id = c.importer_id
		WHERE c.importer_id = $1 AND i.org_id = $2 ORDER BY c.claimed_at, c.id`, importerID, orgID)
	if err != nil {
		return nil, fmt.Errorf("list watch claims: %w", err)
	}
	defer rows.Close()
	var out []WatchClaim
	for rows.Next() {
		var c WatchClaim
		if err := rows.Scan(&c.ID, &c.ImporterID, &c.Key, &c.ETag, &c.State, &c.ImportID); err != nil {
			return nil, fmt.Errorf("list watch claims: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// WatchOf returns an importer's watch without an organization scope, for
// the watch's jobs, which hold only ids the store gave them.
func (s *Store) WatchOf(ctx context.Context, importerID string) (Watch, error) {
	w, err := scanWatch(s.read.QueryRowContext(ctx, `SELECT `+watchColumns+` FROM importer_watches WHERE importer_id = $1`, importerID))
	if err != nil {
		return w, notFound(err, "watch")
	}
	return w, nil
}

// WatchClaimed reports whether an object version was claimed before: a
// read, so that a poll over objects already imported takes no write.
func (s *Store) WatchClaimed(ctx context.Context, importerID, key, etag string) (bool, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM watch_claims WHERE importer_id = $1 AND object_key = $2 AND etag = $3`,
		importerID, key, etag).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("read watch claim: %w", err)
	}
	return n > 0, nil
}
