// Package webhook delivers imports to HTTP receivers as Standard Webhooks:
// JSON batches signed with HMAC-SHA256 over exactly the bytes sent, a stable
// webhook-id per batch for deduplication, and a classification of every
// attempt (delivered, retry, gone) that the delivery job turns into retries.
//
// It never logs, returns or records a payload or a receiver's response body.
package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/intakehq/intake/internal/delivery/destination"
	"github.com/intakehq/intake/internal/delivery/outbound"
	"github.com/intakehq/intake/internal/rows"
)

// Errors the delivery job branches on.
var (
	// ErrGone: the receiver answered 410; the destination must be disabled.
	ErrGone = errors.New("receiver answered 410 Gone")
	// ErrStatus: the receiver answered with a status other than 2xx or 410.
	ErrStatus = errors.New("receiver refused the message")
	// ErrInvalid: the endpoint's settings cannot work; fix them and replay.
	ErrInvalid = errors.New("invalid webhook endpoint")
)

// Endpoint is a webhook destination's settings, as the store keeps them.
type Endpoint struct {
	// URL receives the POSTs; http or https, checked by the outbound guard.
	URL string
	// Secrets sign every message, newest first; two during a rotation.
	Secrets []string
	// Headers are sent with every message (for example an Authorization
	// header the receiver's gateway wants). They cannot replace the
	// signature headers or Content-Type.
	Headers map[string]string
}

// reserved lists headers a custom header may not set.
var reserved = map[string]bool{
	"Webhook-Id": true, "Webhook-Timestamp": true, "Webhook-Signature": true, "Content-Type": true,
	"Content-Length": true, "Host": true, "Transfer-Encoding": true, "Connection": true,
}

// Sender posts messages through a guarded HTTP client. One Sender serves
// every webhook destination and is safe for concurrent use.
type Sender struct {
	client *http.Client
	policy *outbound.Policy
	now    func() time.Time
}

// NewSender returns a sender whose connections go through policy's guard,
// with the per-attempt timeout given (0 means 15 s).
func NewSender(policy *outbound.Policy, timeout time.Duration) *Sender {
	return &Sender{client: policy.HTTPClient(outbound.ClientOptions{Timeout: timeout}), policy: policy, now: time.Now}
}

// Target is an endpoint checked and ready to send to.
type Target struct {
	s       *Sender
	url     string
	secrets []string
	headers http.Header
}

// Target checks an endpoint (URL, secrets, custom headers) once, so a bad
// setting fails as ErrInvalid before any row is read.
func (s *Sender) Target(ep Endpoint) (*Target, error) {
	u, err := s.policy.ParseURL(ep.URL)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if _, err := NewSigner(ep.Secrets...); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	h := http.Header{}
	for k, v := range ep.Headers {
		ck := textproto.CanonicalMIMEHeaderKey(k)
		if reserved[ck] || !validHeader(k, v) {
			return nil, fmt.Errorf("%w: custom header %q not allowed", ErrInvalid, k)
		}
		h.Set(ck, v)
	}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "Intake-Webhooks/1")
	return &Target{s: s, url: u.String(), secrets: ep.Secrets, headers: h}, nil
}

func validHeader(k, v string) bool {
	if k == "" || strings.ContainsAny(v, "\r\n\x00") {
		return false
	}
	for _, c := range k {
		if c <= ' ' || c >= 0x7f || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, c) {
			return false
		}
	}
	return true
}

// Message is one webhook: its id (stable across retries, so receivers
// deduplicate) and the body, signed and sent byte for byte.
type Message struct {
	ID    string
	Batch int // batch index, or -1 for an event
	Body  []byte

	timestamp int64   // set by Sign; zero means sign when sending
	signature string  // set by Sign
	buf       *[]byte // pooled body buffer, returned by Release
}

// BatchID returns the webhook-id of batch index of a delivery. It depends
// only on the delivery and the index, so a retried or resumed batch keeps it.
func BatchID(deliveryID string, index int) string {
	return "msg_" + deliveryID + "_" + strconv.Itoa(index)
}

// CompletedID returns the webhook-id of a delivery's import.completed event.
func CompletedID(deliveryID string) string { return "msg_" + deliveryID + "_completed" }

// Send makes one attempt to deliver m. The Attempt describes it for the
// delivery log whatever happened; the error is nil only when the receiver
// accepted the message (2xx). Errors wrap ErrGone, ErrStatus, a network
// error (timeout, reset, refused, TLS) or outbound.ErrForbidden, and never
// contain the payload or the receiver's body.
func (t *Target) Send(ctx context.Context, m Message) (destination.Attempt, error) {
	start := t.s.now()
	a := destination.Attempt{Message: m.ID, Batch: m.Batch, Started: start}
	err := t.send(ctx, m, &a)
	a.Latency = t.s.now().Sub(start)
	switch {
	case err == nil:
		a.Outcome = destination.Delivered
	case errors.Is(err, ErrGone):
		a.Outcome = destination.Gone
	case errors.Is(err, ErrInvalid):
		a.Outcome = destination.Invalid
	default:
		a.Outcome = destination.Retry
	}
	if err != nil {
		a.Error = err.Error()
	}
	return a, err
}

// Sign signs m now, so that the signing can run ahead of the sending (the
// delivery job signs batch n+1 while batch n is on the wire). Send signs an
// unsigned message itself.
func (t *Target) Sign(m *Message) error {
	signer, err := NewSigner(t.secrets...)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	m.timestamp = t.s.now().Unix()
	m.signature = string(signer.AppendSignature(make([]byte, 0, 48*len(t.secrets)), m.ID, m.timestamp, m.Body))
	return nil
}

func (t *Target) send(ctx context.Context, m Message, a *destination.Attempt) error {
	if m.timestamp == 0 {
		if err := t.Sign(&m); err != nil {
			return err
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(m.Body))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	req.Header = t.headers.Clone()
	req.Header[HeaderID] = []string{m.ID}
	req.Header[HeaderTimestamp] = []string{strconv.FormatInt(m.timestamp, 10)}
	req.Header[HeaderSignature] = []string{m.signature}
	resp, err := t.s.client.Do(req)
	if err != nil {
		return describe(err)
	}
	// Drain a little so the connection is reused; the body is the
	// receiver's business and is never stored.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	a.Status = resp.StatusCode
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusGone:
		return ErrGone
	}
	a.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), t.s.now())
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return fmt.Errorf("%w: %d %s (redirects are not followed)", ErrStatus, resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	return fmt.Errorf("%w: %d %s", ErrStatus, resp.StatusCode, http.StatusText(resp.StatusCode))
}

// describe strips the URL (which may hold a token) from a client error and
// names timeouts plainly.
func describe(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("timeout: %w", err)
	}
	return err
}

// parseRetryAfter reads Retry-After as seconds or an HTTP date; 0 when
// absent, malformed or in the past.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		return min(time.Duration(n)*time.Second, destination.MaxRetryAfter)
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), destination.MaxRetryAfter)
	}
	return 0
}

// bufs recycles payload buffers: a 1,000-row batch is a few hundred
// kilobytes, and allocating one per batch would dominate a large delivery.
var bufs = sync.Pool{New: func() any { return new([]byte) }}

// BatchMessage encodes and signs one batch of a delivery into a pooled
// buffer; call Release once it is sent. The webhook-id is
// BatchID(deliveryID, b.Index), so a retried batch keeps it.
func (t *Target) BatchMessage(enc *Encoder, deliveryID string, b rows.Batch) (Message, error) {
	bp := bufs.Get().(*[]byte)
	*bp = enc.AppendBatch((*bp)[:0], b)
	m := Message{ID: BatchID(deliveryID, b.Index), Batch: b.Index, Body: *bp, buf: bp}
	if err := t.Sign(&m); err != nil {
		m.Release()
		return Message{}, err
	}
	return m, nil
}

// Release returns a message's pooled buffer; m must not be used after.
func (m *Message) Release() {
	if m.buf != nil {
		*m.buf = m.Body[:0]
		bufs.Put(m.buf)
		m.buf, m.Body = nil, nil
	}
}

// SendBatch encodes, signs and sends one batch of a delivery: the call the
// ingest path makes while relaying a bypass-storage chunk (the delivery job
// pipelines BatchMessage and Send instead).
func (t *Target) SendBatch(ctx context.Context, enc *Encoder, deliveryID string, b rows.Batch) (destination.Attempt, error) {
	m, err := t.BatchMessage(enc, deliveryID, b)
	if err != nil {
		return destination.Attempt{Message: BatchID(deliveryID, b.Index), Batch: b.Index, Started: t.s.now(), Outcome: destination.Invalid, Error: err.Error()}, err
	}
	defer m.Release()
	return t.Send(ctx, m)
}

// SendCompleted sends a delivery's final import.completed event.
func (t *Target) SendCompleted(ctx context.Context, enc *Encoder, deliveryID string, rows, batches int) (destination.Attempt, error) {
	return t.Send(ctx, Message{ID: CompletedID(deliveryID), Batch: -1, Body: enc.AppendCompleted(nil, rows, batches)})
}
