package fileimport

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/intakehq/intake/internal/queue"
	"github.com/intakehq/intake/internal/store"
)

// A watch lists its S3 prefix every poll interval (the queue's leader
// inserts the poll once across replicas). Each object version (key and
// ETag) not seen before is claimed in the transaction that enqueues its
// object job; that job hands the object to Submit, whose transaction marks
// the claim handed over, and the import's job tags or moves the object
// once the import is done. Every step is a durable job or a transaction, so
// an object is imported once across crashes and replicas: a crash before a
// claim commits leaves the object for the next poll, one after it leaves
// the claim's job to run again, and a claim handed over is never handed
// over twice.

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

// InsertOptions run object jobs on the file import queue, once per claim.
func (ObjectJob) InsertOptions() queue.InsertOptions {
	return queue.InsertOptions{Queue: Queue, MaxAttempts: 10, UniqueByArgs: true}
}

// WatchCredentials are a watch's S3 keys, sealed in the store.
type WatchCredentials struct {
	AccessKeyID     string `json:"access_key_id"`
	SecretAccessKey string `json:"secret_access_key"`
}

// Watcher polls watched S3 prefixes and imports their new objects.
type Watcher struct {
	s      *Service
	client *awshttp.BuildableClient
}

// NewWatcher returns the watcher of s's imports; every S3 connection is
// dialled by dial, the outbound guard's (a watch's endpoint is the
// organization's to set).
func NewWatcher(s *Service, dial func(ctx context.Context, network, addr string) (net.Conn, error)) *Watcher {
	client := awshttp.NewBuildableClient().WithTimeout(5 * time.Minute).
		WithTransportOptions(func(tr *http.Transport) {
			tr.Proxy = nil
			tr.DialContext = dial
		})
	w := &Watcher{s: s, client: client}
	s.watcher = w
	return w
}

// Register adds the poll (every interval) and the object jobs.
func (w *Watcher) Register(ws *queue.Workers, interval time.Duration) {
	queue.Every(ws, interval, "intake_watch_poll", PollJob{}, queue.InsertOptions{Queue: Queue})
	queue.Register(ws, w.s.o.JobTimeout, func(ctx context.Context, _ PollJob) error { return w.Poll(ctx) })
	queue.Register(ws, w.s.o.JobTimeout, w.object)
}

// CheckWatch refuses settings that cannot work; its messages name the
// setting, never a credential.
func CheckWatch(wt store.Watch) error {
	if wt.Bucket == "" {
		return fmt.Errorf("%w: bucket is required", ErrOptions)
	}
	if wt.After != store.AfterTag && wt.After != store.AfterMove {
		return fmt.Errorf("%w: after must be tag or move", ErrOptions)
	}
	if wt.After == store.AfterMove && (wt.DonePrefix == "" || wt.DonePrefix == wt.Prefix) {
		return fmt.Errorf("%w: after=move needs a done_prefix other than the prefix", ErrOptions)
	}
	if wt.Endpoint != "" {
		if u, err := url.Parse(wt.Endpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("%w: endpoint must be an http(s) URL", ErrOptions)
		}
	}
	return nil
}

func (w *Watcher) s3(ctx context.Context, wt store.Watch) (*awss3.Client, error) {
	cfg := aws.Config{Region: wt.Region, HTTPClient: w.client}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if len(wt.SealedCredentials) > 0 {
		plain, err := w.s.o.Vault.OpenSecret(ctx, wt.ImporterID, wt.SealedCredentials)
		if err != nil {
			return nil, fmt.Errorf("watch of %s credentials: %w", wt.ImporterID, err)
		}
		var c WatchCredentials
		if err := json.Unmarshal(plain, &c); err != nil {
			return nil, fmt.Errorf("watch of %s credentials: %w", wt.ImporterID, err)
		}
		cfg.Credentials = credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, "")
	}
	return awss3.NewFromConfig(cfg, func(o *awss3.Options) {
		if wt.Endpoint != "" {
			o.BaseEndpoint = aws.String(wt.Endpoint)
			o.UsePathStyle = true
		}
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	}), nil
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
	client, err := w.s3(ctx, wt)
	if err != nil {
		return err
	}
	pages := awss3.NewListObjectsV2Paginator(client, &awss3.ListObjectsV2Input{Bucket: aws.String(wt.Bucket), Prefix: aws.String(wt.Prefix)})
	claimed := 0
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list s3://%s/%s: %w", wt.Bucket, wt.Prefix, describeS3(err))
		}
		for _, obj := range page.Contents {
			key, etag := aws.ToString(obj.Key), aws.ToString(obj.ETag)
			if strings.HasSuffix(key, "/") || (wt.DonePrefix != "" && strings.HasPrefix(key, wt.DonePrefix)) {
				continue
			}
			if seen, err := w.s.o.Store.WatchClaimed(ctx, wt.ImporterID, key, etag); err != nil || seen {
				if err != nil {
					return err
				}
				continue
			}
			took, err := w.s.o.Store.ClaimObject(ctx, wt.ImporterID, key, etag, func(tx *sql.Tx, claimID string) error {
				_, err := w.s.o.Queue.InsertTx(ctx, tx, ObjectJob{ClaimID: claimID})
				return err
			})
			if err != nil {
				return err
			}
			if took {
				claimed++
			}
		}
	}
	if claimed > 0 {
		w.s.o.Logger.InfoContext(ctx, "watch claimed objects", "importer_id", wt.ImporterID, "objects", claimed)
	}
	return nil
}

// object hands a claimed object to Submit, unless a run before did.
func (w *Watcher) object(ctx context.Context, j ObjectJob) error {
	claim, err := w.s.o.Store.WatchClaimByID(ctx, j.ClaimID)
	if errors.Is(err, store.ErrNotFound) {
		return queue.Cancel(err)
	}
	if err != nil || claim.ImportID != "" {
		return err
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
	client, err := w.s3(ctx, wt)
	if err != nil {
		return err
	}
	// The version claimed, not a newer one: that is claimed by its own ETag.
	obj, err := client.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(wt.Bucket), Key: aws.String(claim.Key), IfMatch: aws.String(claim.ETag)})
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) && (ae.ErrorCode() == "PreconditionFailed" || ae.ErrorCode() == "NoSuchKey") {
			return queue.Cancel(fmt.Errorf("watched object of claim %s changed or went away", claim.ID))
		}
		return fmt.Errorf("get watched object of claim %s: %w", claim.ID, describeS3(err))
	}
	defer obj.Body.Close()
	sub, err := w.s.Submit(ctx, importer, claim.Key, obj.Body, Options{}, claim.ID)
	if err != nil {
		return fmt.Errorf("submit watched object of claim %s: %w", claim.ID, err)
	}
	w.s.o.Logger.InfoContext(ctx, "watched object submitted", "claim_id", claim.ID, "import_id", sub.ImportID)
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
	client, err := w.s3(ctx, wt)
	if err != nil {
		return err
	}
	bucket, key := aws.String(wt.Bucket), aws.String(claim.Key)
	switch wt.After {
	case store.AfterMove:
		dest := wt.DonePrefix + strings.TrimPrefix(claim.Key, wt.Prefix)
		if _, err := client.CopyObject(ctx, &awss3.CopyObjectInput{Bucket: bucket, Key: aws.String(dest),
			CopySource: aws.String(url.PathEscape(wt.Bucket) + "/" + escapeKey(claim.Key))}); err != nil {
			return fmt.Errorf("move watched object of claim %s: %w", claim.ID, describeS3(err))
		}
		if _, err := client.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: bucket, Key: key}); err != nil {
			return fmt.Errorf("move watched object of claim %s: %w", claim.ID, describeS3(err))
		}
	default:
		if _, err := client.PutObjectTagging(ctx, &awss3.PutObjectTaggingInput{Bucket: bucket, Key: key,
			Tagging: &s3types.Tagging{TagSet: []s3types.Tag{
				{Key: aws.String("intake-import"), Value: aws.String(fi.ImportID)},
				{Key: aws.String("intake-state"), Value: aws.String(fi.State)},
			}}}); err != nil {
			return fmt.Errorf("tag watched object of claim %s: %w", claim.ID, describeS3(err))
		}
	}
	return w.s.o.Store.WatchClaimDone(ctx, claim.ID)
}

// escapeKey escapes an object key for x-amz-copy-source, keeping its slashes.
func escapeKey(key string) string {
	parts := strings.Split(key, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

// describeS3 keeps an S3 error's code and drops the rest of the SDK's text.
func describeS3(err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return fmt.Errorf("s3 %s", ae.ErrorCode())
	}
	return err
}

// SealCredentials seals a watch's S3 keys for the store, with the master
// key, as destinations' secrets are.
func (s *Service) SealCredentials(ctx context.Context, importerID, accessKeyID, secret string) ([]byte, error) {
	plain, err := json.Marshal(WatchCredentials{AccessKeyID: accessKeyID, SecretAccessKey: secret})
	if err != nil {
		return nil, err
	}
	return s.o.Vault.SealSecret(ctx, importerID, plain)
}
