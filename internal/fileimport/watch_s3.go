package fileimport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/intakehq/intake/internal/store"
)

// checkS3 refuses S3 settings that cannot work and fills in the default
// after (tag).
func checkS3(wt *store.Watch, c WatchCredentials) error {
	if wt.Bucket == "" {
		return errors.New("bucket is required")
	}
	if wt.After == "" {
		wt.After = store.AfterTag
	}
	if wt.After != store.AfterTag && wt.After != store.AfterMove {
		return errors.New("after must be tag or move")
	}
	if wt.After == store.AfterMove && (wt.DonePrefix == "" || wt.DonePrefix == wt.Prefix) {
		return errors.New("after=move needs a done_prefix other than the prefix")
	}
	if wt.Endpoint != "" {
		if u, err := url.Parse(wt.Endpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return errors.New("endpoint must be an http(s) URL, or sftp://user@host[:port] for an SFTP folder")
		}
	}
	if wt.HostKey != "" || c.Password != "" || c.PrivateKey != "" {
		return errors.New("host_key, password and private_key are an SFTP watch's")
	}
	return nil
}

// s3Source is a watched S3 prefix: objects are versioned by ETag, tagged
// or moved (copied under the done prefix, then deleted).
type s3Source struct {
	wt     store.Watch
	client *awss3.Client
}

func (w *Watcher) s3(wt store.Watch, c WatchCredentials) *s3Source {
	cfg := aws.Config{Region: wt.Region, HTTPClient: w.client}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if c.AccessKeyID != "" || c.SecretAccessKey != "" {
		cfg.Credentials = credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, "")
	}
	return &s3Source{wt: wt, client: awss3.NewFromConfig(cfg, func(o *awss3.Options) {
		if wt.Endpoint != "" {
			o.BaseEndpoint = aws.String(wt.Endpoint)
			o.UsePathStyle = true
		}
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	})}
}

func (s *s3Source) list(ctx context.Context, fn func(key, version string) error) error {
	wt := s.wt
	pages := awss3.NewListObjectsV2Paginator(s.client, &awss3.ListObjectsV2Input{Bucket: aws.String(wt.Bucket), Prefix: aws.String(wt.Prefix)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list s3://%s/%s: %w", wt.Bucket, wt.Prefix, describeS3(err))
		}
		for _, obj := range page.Contents {
			key := aws.ToString(obj.Key)
			if strings.HasSuffix(key, "/") || (wt.DonePrefix != "" && strings.HasPrefix(key, wt.DonePrefix)) {
				continue
			}
			if err := fn(key, aws.ToString(obj.ETag)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *s3Source) open(ctx context.Context, key, etag string) (io.ReadCloser, error) {
	obj, err := s.client.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(s.wt.Bucket), Key: aws.String(key), IfMatch: aws.String(etag)})
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) && (ae.ErrorCode() == "PreconditionFailed" || ae.ErrorCode() == "NoSuchKey") {
			return nil, errChanged
		}
		return nil, describeS3(err)
	}
	return obj.Body, nil
}

func (s *s3Source) finish(ctx context.Context, key, importID, state string) error {
	wt := s.wt
	bucket := aws.String(wt.Bucket)
	switch wt.After {
	case store.AfterMove:
		dest := wt.DonePrefix + strings.TrimPrefix(key, wt.Prefix)
		if _, err := s.client.CopyObject(ctx, &awss3.CopyObjectInput{Bucket: bucket, Key: aws.String(dest),
			CopySource: aws.String(url.PathEscape(wt.Bucket) + "/" + escapeKey(key))}); err != nil {
			return fmt.Errorf("move watched object: %w", describeS3(err))
		}
		if _, err := s.client.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: bucket, Key: aws.String(key)}); err != nil {
			return fmt.Errorf("move watched object: %w", describeS3(err))
		}
	default:
		if _, err := s.client.PutObjectTagging(ctx, &awss3.PutObjectTaggingInput{Bucket: bucket, Key: aws.String(key),
			Tagging: &s3types.Tagging{TagSet: []s3types.Tag{
				{Key: aws.String("intake-import"), Value: aws.String(importID)},
				{Key: aws.String("intake-state"), Value: aws.String(state)},
			}}}); err != nil {
			return fmt.Errorf("tag watched object: %w", describeS3(err))
		}
	}
	return nil
}

// Close does nothing: the S3 client's connections are the watcher's.
func (s *s3Source) Close() error { return nil }

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
