package fileimport

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"

	"github.com/intakehq/intake/internal/queue"
	"github.com/intakehq/intake/internal/store"
)

// A watch lists its place (an S3 prefix or an SFTP folder) every poll
// interval (the queue's leader inserts the poll once across replicas). Each
// file version (key and ETag, or path, size and modification time) not seen
// before is claimed in the transaction that enqueues its object job; that
// job hands the file to Submit, whose transaction marks the claim handed
// over, and the import's job tags or moves the file once the import is
// done. Every step is a durable job or a transaction, so a file is imported
// once across crashes and replicas: a crash before a claim commits leaves
// the file for the next poll, one after it leaves the claim's job to run
// again, and a claim handed over is never handed over twice. A claim whose
// job fails run after run (the file unreadable, the place unreachable) is
// given up on before the queue would give up on the job, silently: it is
// marked failed (FailWatchClaim, which a claim handed over cannot be), so
// the watch lists it (its key, never its content) and the
// intake_watch_objects_failed gauge counts it, until the watch is saved
// again and the next poll claims it afresh. The kinds of place differ only
// in how they list, read, tag or move (source).

// PollJob lists every watched prefix.
type PollJob struct{}

// Kind names the job in the queue's table.
func (PollJob) Kind() string { return "intake_watch_poll" }

// ObjectJob imports one claimed object.
type ObjectJob struct {
	ClaimID string `json:"claim_id"`
}

// Kind names the job in the queue's table.
func (ObjectJob) Kind() string { return "intake_watch_object" }

// InsertOptions run object jobs on the file import queue, once per claim,
// with the file import job's bound: after MaxFailedRuns failed runs the
// next run gives the claim up, before the queue would give up on the job.
func (ObjectJob) InsertOptions() queue.InsertOptions { return Job{}.InsertOptions() }

// WatchCredentials are a watch's secrets, sealed in the store: S3 keys,
// or an SFTP password or private key (PEM, OpenSSH or PKCS#8).
type WatchCredentials struct {
	AccessKeyID     string `json:"access_key_id,omitempty"`
	SecretAccessKey string `json:"secret_access_key,omitempty"`
	Password        string `json:"password,omitempty"`
	PrivateKey      string `json:"private_key,omitempty"`
}

// Watcher polls watched places and imports their new files.
type Watcher struct {
	s      *Service
	dial   func(ctx context.Context, network, addr string) (net.Conn, error)
	client *awshttp.BuildableClient
}

// NewWatcher returns the watcher of s's imports; every S3 or SFTP
// connection is dialled by dial, the outbound guard's (a watch's endpoint
// is the organization's to set).
func NewWatcher(s *Service, dial func(ctx context.Context, network, addr string) (net.Conn, error)) *Watcher {
	client := awshttp.NewBuildableClient().WithTimeout(5 * time.Minute).
		WithTransportOptions(func(tr *http.Transport) {
			tr.Proxy = nil
			tr.DialContext = dial
		})
	w := &Watcher{s: s, dial: dial, client: client}
	s.watcher = w
	return w
}

// Register adds the poll (every interval) and the object jobs.
func (w *Watcher) Register(ws *queue.Workers, interval time.Duration) {
	queue.Every(ws, interval, "intake_watch_poll", PollJob{}, queue.InsertOptions{Queue: Queue})
	queue.Register(ws, w.s.o.JobTimeout, func(ctx context.Context, _ PollJob) error { return w.Poll(ctx) })
	queue.Register(ws, w.s.o.JobTimeout, w.Object)
}

// WatchSettings are a watch as the API takes it: where, what to do with a
// file once imported, and the credentials (sealed, never shown again).
type WatchSettings struct {
	Bucket     string `json:"bucket"`
	Prefix     string `json:"prefix"`
	Region     string `json:"region"`
	Endpoint   string `json:"endpoint"`
	After      string `json:"after"`
	DonePrefix string `json:"done_prefix"`
	HostKey    string `json:"host_key"`
	WatchCredentials
}

// PrepareWatch checks a watch's settings for importer, fills in defaults
// (after: tag for S3, move for SFTP) and seals its credentials with the
// master key, as destinations' secrets are. Its errors wrap ErrOptions and
// name the setting, never a credential.
func (s *Service) PrepareWatch(ctx context.Context, importer store.Importer, in WatchSettings) (store.Watch, error) {
	wt := store.Watch{ImporterID: importer.ID, OrgID: importer.OrgID, Bucket: in.Bucket, Prefix: in.Prefix, Region: in.Region,
		Endpoint: in.Endpoint, After: in.After, DonePrefix: in.DonePrefix, HostKey: in.HostKey}
	check := checkS3
	if isSFTP(wt) {
		check = checkSFTP
	}
	if err := check(&wt, in.WatchCredentials); err != nil {
		return wt, fmt.Errorf("%w: %w", ErrOptions, err)
	}
	if in.WatchCredentials != (WatchCredentials{}) {
		plain, err := json.Marshal(in.WatchCredentials) //nolint:gosec // marshalled to be sealed at once, never stored or shown in clear
		if err != nil {
			return wt, err
		}
		if wt.SealedCredentials, err = s.o.Vault.SealSecret(ctx, importer.ID, plain); err != nil {
			return wt, err
		}
	}
	return wt, nil
}

// credentials opens a watch's sealed credentials (none: the zero value).
func (w *Watcher) credentials(ctx context.Context, wt store.Watch) (WatchCredentials, error) {
	var c WatchCredentials
	if len(wt.SealedCredentials) == 0 {
		return c, nil
	}
	plain, err := w.s.o.Vault.OpenSecret(ctx, wt.ImporterID, wt.SealedCredentials)
	if err != nil {
		return c, fmt.Errorf("watch of %s credentials: %w", wt.ImporterID, err)
	}
	if err := json.Unmarshal(plain, &c); err != nil {
		return c, fmt.Errorf("watch of %s credentials: %w", wt.ImporterID, err)
	}
	return c, nil
}

// A source is a connection to a watched place. Keys are what claims hold:
// S3 object keys, SFTP paths; a version tells one content of a key from
// the next.
type source interface {
	// list calls fn with each file of the place (not under its done
	// prefix or folder) and its version.
	list(ctx context.Context, fn func(key, version string) error) error
	// open reads a key's version, or fails with errChanged.
	open(ctx context.Context, key, version string) (io.ReadCloser, error)
	// finish tags or moves a key once its import ended in state.
	finish(ctx context.Context, key, importID, state string) error
	// Close ends the connection.
	Close() error
}

// errChanged is a claimed file that changed or went away since its claim:
// its new version, if any, is claimed by a later poll.
var errChanged = errors.New("the watched file changed or went away")

// connect opens a connection to wt's place.
func (w *Watcher) connect(ctx context.Context, wt store.Watch) (source, error) {
	c, err := w.credentials(ctx, wt)
	if err != nil {
		return nil, err
	}
	if isSFTP(wt) {
		return w.sftp(ctx, wt, c)
	}
	return w.s3(wt, c), nil
}

// Poll lists every watch's prefix once and claims the objects not seen.
// A watch that fails (its bucket unreachable) is logged and the others go on.
func (w *Watcher) Poll(ctx context.Context) error {
	watches, err := w.s.o.Store.Watches(ctx)
	if err != nil {
		return err
	}
	for _, wt := range watches {
		if err := w.poll(ctx, wt); err != nil {
			w.s.o.Logger.WarnContext(ctx, "watch poll failed", "importer_id", wt.ImporterID, "err", err)
		}
	}
	return nil
}

func (w *Watcher) poll(ctx context.Context, wt store.Watch) error {
	src, err := w.connect(ctx, wt)
	if err != nil {
		return err
	}
	defer src.Close()
	claimed := 0
	err = src.list(ctx, func(key, version string) error {
		if seen, err := w.s.o.Store.WatchClaimed(ctx, wt.ImporterID, key, version); err != nil || seen {
			return err
		}
		took, err := w.s.o.Store.ClaimObject(ctx, wt.ImporterID, key, version, func(tx *sql.Tx, claimID string) error {
			_, err := w.s.o.Queue.InsertTx(ctx, tx, ObjectJob{ClaimID: claimID})
			return err
		})
		if took {
			claimed++
		}
		return err
	})
	if claimed > 0 {
		w.s.o.Logger.InfoContext(ctx, "watch claimed objects", "importer_id", wt.ImporterID, "objects", claimed)
	}
	return err
}

// Object runs an object job: it hands a claimed object to Submit, unless
// a run before did, or gives the claim up once MaxFailedRuns runs
// failed.
func (w *Watcher) Object(ctx context.Context, j ObjectJob) error {
	claim, err := w.s.o.Store.WatchClaimByID(ctx, j.ClaimID)
	if errors.Is(err, store.ErrNotFound) {
		return queue.Cancel(err)
	}
	if err != nil || claim.ImportID != "" {
		return err
	}
	failed, claimed, err := w.s.o.Store.BeginWatchClaimRun(ctx, claim.ID)
	if err != nil || !claimed {
		return err
	}
	if failed >= MaxFailedRuns {
		return w.giveUp(ctx, claim, failed)
	}
	wt, err := w.s.o.Store.WatchOf(ctx, claim.ImporterID)
	if errors.Is(err, store.ErrNotFound) {
		return queue.Cancel(err) // the watch was removed
	}
	if err != nil {
		return err
	}
	importer, err := w.s.o.Store.Importer(ctx, wt.OrgID, wt.ImporterID)
	if errors.Is(err, store.ErrNotFound) {
		return queue.Cancel(err)
	}
	if err != nil {
		return err
	}
	src, err := w.connect(ctx, wt)
	if err != nil {
		return err
	}
	defer src.Close()
	// The version claimed, not a newer one: that is claimed by its own version.
	body, err := src.open(ctx, claim.Key, claim.ETag)
	if errors.Is(err, errChanged) {
		return queue.Cancel(fmt.Errorf("watched object of claim %s: %w", claim.ID, err))
	}
	if err != nil {
		return fmt.Errorf("get watched object of claim %s: %w", claim.ID, err)
	}
	defer body.Close()
	sub, err := w.s.Submit(ctx, importer, claim.Key, body, Options{}, claim.ID)
	if err != nil {
		return fmt.Errorf("submit watched object of claim %s: %w", claim.ID, err)
	}
	w.s.o.Logger.InfoContext(ctx, "watched object submitted", "claim_id", claim.ID, "import_id", sub.ImportID)
	return nil
}

// giveUp marks a claim failed after failed runs of its job. It names the
// claim and importer in the log, not the key: a file name is the
// organization's data.
func (w *Watcher) giveUp(ctx context.Context, claim store.WatchClaim, failed int) error {
	gaveUp, err := w.s.o.Store.FailWatchClaim(ctx, claim.ID, CodeJobFailed)
	if err != nil {
		return err
	}
	if gaveUp {
		w.s.o.Logger.WarnContext(ctx, "watched object given up", "claim_id", claim.ID, "importer_id", claim.ImporterID,
			"failed_runs", failed, "code", CodeJobFailed)
	}
	return nil
}

// afterImport tags or moves the watched object a finished import came
// from, once; a no-op for imports that did not come from a watch.
func (s *Service) afterImport(ctx context.Context, fi store.FileImport) error {
	if fi.WatchClaim == "" || s.watcher == nil {
		return nil
	}
	return s.watcher.after(ctx, fi)
}

func (w *Watcher) after(ctx context.Context, fi store.FileImport) error {
	claim, err := w.s.o.Store.WatchClaimByID(ctx, fi.WatchClaim)
	if err != nil || claim.State == store.ClaimDone {
		return err
	}
	wt, err := w.s.o.Store.WatchOf(ctx, claim.ImporterID)
	if errors.Is(err, store.ErrNotFound) {
		return w.s.o.Store.WatchClaimDone(ctx, claim.ID) // unwatched since: the object is left as it is
	}
	if err != nil {
		return err
	}
	src, err := w.connect(ctx, wt)
	if err != nil {
		return err
	}
	defer src.Close()
	if err := src.finish(ctx, claim.Key, fi.ImportID, fi.State); err != nil {
		return fmt.Errorf("claim %s: %w", claim.ID, err)
	}
	return w.s.o.Store.WatchClaimDone(ctx, claim.ID)
}
