// Package s3 writes an import to an S3-compatible bucket as one object
// (CSV, JSON Lines or Parquet) under a key template. The object is streamed
// batch by batch through a multipart upload, never assembled in memory, and
// every connection goes through the outbound guard. The bytes are written
// by the rows package's writers, the same that write downloads: an object
// reads exactly as a download of the import in that format.
//
// An end-to-end encrypted import is written as one .age object per batch
// instead: the browser's age ciphertext as it was sealed, which the server
// cannot open and never turns into rows (docs/e2e.md).
//
// Errors name the bucket, key and S3 error code; never a cell value.
package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/logging"
	"gocloud.dev/blob"
	"gocloud.dev/blob/s3blob"
	"gocloud.dev/gcerrors"

	"github.com/intakehq/intake/internal/delivery/destination"
	"github.com/intakehq/intake/internal/delivery/outbound"
	"github.com/intakehq/intake/internal/e2e"
	"github.com/intakehq/intake/internal/rows"
)

// ErrInvalid is wrapped when the destination's settings cannot work.
var ErrInvalid = errors.New("invalid S3 destination")

// Format is the file format an object is written in.
type Format = rows.Format

// The formats an S3 destination writes (XLSX is for people, who download).
const (
	CSV     = rows.CSV
	JSONL   = rows.JSONL
	Parquet = rows.Parquet
)

// DefaultKeyTemplate files each import under its importer.
const DefaultKeyTemplate = "{importer}/{import_id}.{ext}"

// Config is an S3 destination's settings, as the store keeps them.
type Config struct {
	// Bucket is the bucket's name; it must exist.
	Bucket string
	// Region is the bucket's region (default us-east-1).
	Region string
	// Endpoint is the base URL of an S3-compatible service (MinIO, R2, …);
	// empty for AWS. Setting it turns on path-style addressing.
	Endpoint string
	// AccessKeyID and SecretAccessKey authenticate; when both are empty
	// the AWS default chain (environment, shared files, instance role) is
	// used.
	AccessKeyID     string
	SecretAccessKey string
	// KeyTemplate names the object; {importer}, {import_id}, {ext} and
	// {date} (UTC, YYYY-MM-DD) are replaced. Default DefaultKeyTemplate.
	KeyTemplate string
	// Format is csv, jsonl or parquet (default csv).
	Format Format
}

// Writer opens buckets through a guarded HTTP client.
type Writer struct {
	client *awshttp.BuildableClient
	now    func() time.Time
}

// NewWriter returns a writer whose S3 connections go through policy. The
// SDK's buildable client is kept (rather than outbound.HTTPClient) so that
// an operator's AWS_CA_BUNDLE still applies; the guard replaces its dialer
// and the environment's proxy is ignored.
func NewWriter(policy *outbound.Policy) *Writer {
	client := awshttp.NewBuildableClient().
		WithTimeout(5 * time.Minute).
		WithTransportOptions(func(tr *http.Transport) {
			tr.Proxy = nil
			tr.DialContext = policy.DialContext
		})
	return &Writer{client: client, now: time.Now}
}

// AgeContentType is the content type of an encrypted import's objects:
// binary age files, as the age tool reads them.
const AgeContentType = "application/octet-stream"

// ageExt is {ext} for an encrypted import, and the ending of its objects.
const ageExt = "age"

// Key expands cfg's key template for imp. For an encrypted import it is
// the prefix of its objects, which BatchKey completes.
func (c Config) Key(imp destination.Import, now time.Time) (string, error) {
	if imp.Encrypted {
		key, err := c.expand(imp, now, ageExt)
		return strings.TrimSuffix(key, "."+ageExt), err
	}
	return c.expand(imp, now, cmpOr(c.Format, CSV).Ext())
}

// BatchKey names the object of batch n of an encrypted import under the
// prefix Key gives: prefix/NNNNNN.age, zero-padded so that the objects of
// an import list in row order.
func BatchKey(prefix string, n int) string {
	return fmt.Sprintf("%s/%06d.%s", prefix, n, ageExt)
}

func (c Config) expand(imp destination.Import, now time.Time, ext string) (string, error) {
	tmpl := cmpOr(c.KeyTemplate, DefaultKeyTemplate)
	key := strings.NewReplacer(
		"{importer}", imp.Importer,
		"{import_id}", imp.ID,
		"{ext}", ext,
		"{date}", now.UTC().Format(time.DateOnly),
	).Replace(tmpl)
	if strings.ContainsAny(key, "{}") {
		return "", fmt.Errorf("%w: key template %q has an unknown placeholder", ErrInvalid, tmpl)
	}
	if key == "" || strings.HasPrefix(key, "/") {
		return "", fmt.Errorf("%w: key template %q gives an empty or absolute key", ErrInvalid, tmpl)
	}
	return key, nil
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Write streams the import's rows into one object and returns its key. On
// any error the upload is aborted, so no partial object is left behind.
// An encrypted import is written by writeAge instead.
func (w *Writer) Write(ctx context.Context, cfg Config, imp destination.Import, batches iter.Seq2[rows.Batch, error]) (string, error) {
	if imp.Encrypted {
		return w.writeAge(ctx, cfg, imp, batches)
	}
	key, err := cfg.Key(imp, w.now())
	if err != nil {
		return "", err
	}
	format := cmpOr(cfg.Format, CSV)
	bucket, err := w.open(ctx, cfg)
	if err != nil {
		return "", err
	}
	defer bucket.Close()

	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	obj, err := bucket.NewWriter(wctx, key, &blob.WriterOptions{ContentType: format.ContentType()})
	if err != nil {
		return "", describe(cfg.Bucket, key, err)
	}
	abort := func(err error) (string, error) {
		cancel() // a cancelled context makes Close abort the multipart upload
		_ = obj.Close()
		return "", err
	}
	if format != CSV && format != JSONL && format != Parquet {
		return abort(fmt.Errorf("%w: unknown format %q (want csv, jsonl or parquet)", ErrInvalid, format))
	}
	rw, err := rows.NewWriter(format, obj, imp.Columns)
	if err != nil {
		return abort(fmt.Errorf("%w: %w", ErrInvalid, err))
	}
	for b, err := range batches {
		if err != nil {
			return abort(fmt.Errorf("read rows: %w", err))
		}
		if err := rw.WriteRows(b.Rows); err != nil {
			return abort(describe(cfg.Bucket, key, err))
		}
	}
	if err := rw.Close(); err != nil {
		return abort(describe(cfg.Bucket, key, err))
	}
	if err := obj.Close(); err != nil {
		return "", describe(cfg.Bucket, key, err)
	}
	return key, nil
}

// writeAge writes each batch of an end-to-end encrypted import as its own
// object, the batch's age ciphertext byte for byte (BatchKey names it; its
// metadata holds the import's id and the batch's first row and row count,
// which the server knows anyway), and returns the objects' common prefix.
// The format setting does not apply. A batch without age ciphertext is
// refused rather than written, so no plaintext can reach the bucket. The
// objects are written in order; a failed run leaves the ones before the
// failure, and the retry writes them again under the same keys.
func (w *Writer) writeAge(ctx context.Context, cfg Config, imp destination.Import, batches iter.Seq2[rows.Batch, error]) (string, error) {
	prefix, err := cfg.Key(imp, w.now())
	if err != nil {
		return "", err
	}
	bucket, err := w.open(ctx, cfg)
	if err != nil {
		return "", err
	}
	defer bucket.Close()
	for b, err := range batches {
		if err != nil {
			return "", fmt.Errorf("read rows: %w", err)
		}
		if !bytes.HasPrefix(b.Ciphertext, []byte(e2e.Header)) {
			return "", fmt.Errorf("%w: batch %d of encrypted import %s holds no age ciphertext", ErrInvalid, b.Index, imp.ID)
		}
		key := BatchKey(prefix, b.Index)
		opts := &blob.WriterOptions{ContentType: AgeContentType, Metadata: map[string]string{
			"import-id": imp.ID, "first-row": strconv.Itoa(b.FirstRow), "rows": strconv.Itoa(b.Count)}}
		if err := bucket.WriteAll(ctx, key, b.Ciphertext, opts); err != nil {
			return "", describe(cfg.Bucket, key, err)
		}
	}
	return prefix + "/", nil
}

func (w *Writer) open(ctx context.Context, cfg Config) (*blob.Bucket, error) {
	if cfg.Bucket == "" {
		return nil, fmt.Errorf("%w: no bucket", ErrInvalid)
	}
	opts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRegion(cmpOr(cfg.Region, "us-east-1")),
		awsconfig.WithHTTPClient(w.client),
	}
	if cfg.AccessKeyID != "" || cfg.SecretAccessKey != "" {
		opts = append(opts, awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, "")))
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: aws config: %w", ErrInvalid, err)
	}
	awsCfg.Logger = logging.Nop{} // the SDK's debug chatter is not ours to print
	client := awss3.NewFromConfig(awsCfg, func(o *awss3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
			o.UsePathStyle = true
		}
	})
	bucket, err := s3blob.OpenBucket(ctx, client, cfg.Bucket, &s3blob.Options{
		// S3-compatible services often lack the SDK's newer default checksums.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
	})
	if err != nil {
		return nil, fmt.Errorf("open bucket %s: %w", cfg.Bucket, err)
	}
	return bucket, nil
}

// describe names what failed by bucket, key and error code.
func describe(bucket, key string, err error) error {
	switch gcerrors.Code(err) {
	case gcerrors.NotFound:
		return fmt.Errorf("s3 bucket %s: not found: %w", bucket, err)
	case gcerrors.PermissionDenied:
		return fmt.Errorf("s3 put %s/%s: permission denied: %w", bucket, key, err)
	}
	return fmt.Errorf("s3 put %s/%s: %w", bucket, key, err)
}
