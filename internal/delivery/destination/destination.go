// Package destination is what the delivery worker and every destination
// kind (delivery/webhook, delivery/s3, delivery/postgres) share: the import
// a destination receives, the record of one delivery attempt and its
// outcome, and the retry schedule. It sits below both so that the kinds
// need not import the worker that drives them (package delivery). Batches
// of rows are rows.Batch.
//
// Nothing in this package or below may put a cell value in an error, a log
// line or an Attempt: attempts record status codes, latencies and causes.
package destination

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"strings"
	"time"

	"github.com/intakehq/intake/internal/rows"
)

// Import describes the import being delivered. It carries metadata only;
// rows come from a RowSource.
type Import struct {
	// ID is the import's id, sent as import_id.
	ID string
	// Importer is the importer's public key (imp_…), sent as importer.
	Importer string
	// Columns are the template's column keys in row order.
	Columns []string
	// Rows is the number of rows in the import.
	Rows int
	// Metadata is the JSON object the host page attached to the import, passed
	// through to the destination untouched; nil sends null.
	Metadata json.RawMessage
	// Encrypted marks an end-to-end encrypted import: its batches carry
	// the browser's age ciphertext (rows.Batch.Ciphertext), never rows.
	Encrypted bool
}

// RowSource yields an import's rows. rows.Reader implements it by
// decrypting the import's chunks; tests implement it over a slice.
type RowSource interface {
	// Batches yields the import's rows in batches of size rows, starting with
	// batch index from (so a resumed delivery skips acknowledged batches).
	// Batch i must hold rows [i*size, (i+1)*size) so ids stay stable across
	// resumptions. An error ends the sequence.
	Batches(ctx context.Context, importID string, size, from int) iter.Seq2[rows.Batch, error]
}

// Outcome classifies one attempt.
type Outcome string

// Outcomes of an attempt.
const (
	// Delivered: the destination accepted the message (webhook 2xx).
	Delivered Outcome = "delivered"
	// Retry: a transient or receiver-side failure; the schedule says when
	// to try again.
	Retry Outcome = "retry"
	// Gone: the receiver answered 410 Gone; the destination is disabled and
	// no retry follows.
	Gone Outcome = "gone"
	// Invalid: the destination's configuration cannot work (malformed URL,
	// wrong scheme); no retry follows until it is fixed and replayed.
	Invalid Outcome = "invalid"
)

// Attempt records one try to deliver one message. It is what the delivery
// log stores, and it never holds a payload or a cell value.
type Attempt struct {
	// Message is the webhook-id (or, for S3 and PostgreSQL, the delivery's
	// id) the attempt sent.
	Message string
	// Batch is the batch index, or -1 for an event that is not a batch.
	Batch int
	// Number counts attempts of this message, from 1.
	Number int
	// Started is when the attempt began.
	Started time.Time
	// Latency is how long the attempt took, response included.
	Latency time.Duration
	// Status is the HTTP status code, or 0 when there was no response.
	Status int
	// Outcome classifies the attempt.
	Outcome Outcome
	// Error describes a failure: status text, timeout, refused address. It
	// names no cell value.
	Error string
	// RetryAfter is the receiver's Retry-After, when it sent one.
	RetryAfter time.Duration
	// NextRetry is when the next attempt is due; zero when none is.
	NextRetry time.Time
}

// Schedule lists the delays between attempts of one message: entry i is
// the wait after the (i+1)th failed attempt. Its length plus one is the
// number of attempts before a delivery is marked failed.
type Schedule []time.Duration

// DefaultSchedule is the Standard Webhooks schedule: immediately, then after
// 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h (10 attempts over
// about three days).
var DefaultSchedule = Schedule{
	5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour,
	10 * time.Hour, 14 * time.Hour, 20 * time.Hour, 24 * time.Hour,
}

// MaxRetryAfter caps a receiver's Retry-After so a receiver cannot park a
// delivery for longer than the schedule's longest wait.
const MaxRetryAfter = 24 * time.Hour

// Next returns how long to wait after the failures-th failed attempt of a
// message, and false when the schedule is exhausted. A Retry-After from the
// receiver replaces the scheduled wait (capped at MaxRetryAfter) but still
// uses up an attempt, so a receiver cannot keep a delivery alive forever.
func (s Schedule) Next(failures int, retryAfter time.Duration) (time.Duration, bool) {
	if failures < 1 || failures > len(s) {
		return 0, false
	}
	if retryAfter > 0 {
		return min(retryAfter, MaxRetryAfter), true
	}
	return s[failures-1], true
}

// ParseSchedule reads a schedule written as Go durations separated by
// commas ("5s,5m,30m"), as an operator configures it. An empty string is a
// schedule with no retries.
func ParseSchedule(s string) (Schedule, error) {
	var out Schedule
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		d, err := time.ParseDuration(f)
		if err != nil {
			return nil, fmt.Errorf("retry schedule: %w", err)
		}
		if d < 0 {
			return nil, fmt.Errorf("retry schedule: negative delay %s", f)
		}
		out = append(out, d)
	}
	return out, nil
}

// Batch sizes a webhook destination accepts.
const (
	DefaultBatchSize = 1000
	MinBatchSize     = 1
	MaxBatchSize     = 10000
)
