// Package delivery sends completed imports to their destinations: the
// destinations themselves (settings sealed by the vault), deliveries created
// in the transaction that completes an import and worked as queue jobs
// (Worker), the delivery log, replays, test events, and the relay of
// bypass-storage chunks. Rows come from internal/rows; each destination kind
// has a package of its own (webhook, s3, postgres), sharing the vocabulary
// of package destination, and every outbound connection goes through the
// guard of package outbound.
//
// It never puts a cell value or a destination secret (signing secret,
// credential, connection string) in an error, a log line or the delivery
// log, and settings reach the store only sealed.
package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"time"

	"github.com/intakehq/intake/internal/delivery/destination"
	"github.com/intakehq/intake/internal/delivery/outbound"
	"github.com/intakehq/intake/internal/delivery/webhook"
	"github.com/intakehq/intake/internal/queue"
	"github.com/intakehq/intake/internal/rows"
	"github.com/intakehq/intake/internal/store"
	"github.com/intakehq/intake/internal/vault"
)

// Options configure a Service. Every field is required.
type Options struct {
	Store *store.Store
	// Vault seals and opens destinations' settings.
	Vault *vault.Vault
	// Rows reads the rows (and metadata) of the imports delivered.
	Rows *rows.Reader
	// Queue takes the delivery jobs, inserted in the transaction that
	// creates the delivery; a Worker (built on the Service) works them.
	Queue *queue.Queue
	// Policy guards every outbound connection.
	Policy *outbound.Policy
	Logger *slog.Logger
	// RequestTimeout bounds a relayed chunk and a test event (default 15 s).
	RequestTimeout time.Duration
}

// Service manages destinations and deliveries.
type Service struct {
	st     *store.Store
	vault  *vault.Vault
	sender *webhook.Sender
	// policy checks the hosts of S3 endpoints and PostgreSQL URLs as they
	// are saved (webhook URLs through sender).
	policy *outbound.Policy
	log    *slog.Logger
	rows   *rows.Reader
	queue  *queue.Queue
	now    func() time.Time
}

// New returns a Service.
func New(o Options) *Service {
	return &Service{st: o.Store, vault: o.Vault, rows: o.Rows, queue: o.Queue,
		sender: webhook.NewSender(o.Policy, o.RequestTimeout), policy: o.Policy, log: o.Logger, now: time.Now}
}

// Destination is a destination as the API shows it: its settings without
// any secret. Secret is set only in the answer that created it (or rotated
// it), the one time it is shown.
type Destination struct {
	ID         string     `json:"id"`
	ImporterID string     `json:"importer_id"`
	Type       string     `json:"type"`
	BatchSize  int        `json:"batch_size"`
	Parallel   int        `json:"parallel"`
	Schedule   string     `json:"schedule,omitempty"`
	Enabled    bool       `json:"enabled"`
	DisabledAt *time.Time `json:"disabled_at,omitempty"`
	// Secret is the new whsec_ signing secret, shown once.
	Secret string `json:"secret,omitempty"`
	// Secrets counts the signing secrets in use (2 during a rotation).
	Secrets int `json:"secrets,omitempty"`

	URL         string            `json:"url,omitempty"`
	HeaderNames []string          `json:"header_names,omitempty"`
	Bucket      string            `json:"bucket,omitempty"`
	Region      string            `json:"region,omitempty"`
	Endpoint    string            `json:"endpoint,omitempty"`
	Credentials bool              `json:"credentials,omitempty"`
	KeyTemplate string            `json:"key_template,omitempty"`
	Format      string            `json:"format,omitempty"`
	Schema      string            `json:"schema,omitempty"`
	Table       string            `json:"table,omitempty"`
	Columns     map[string]string `json:"columns,omitempty"`
	Key         []string          `json:"key,omitempty"`

	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func view(d store.Destination, st settings) Destination {
	v := Destination{ID: d.ID, ImporterID: d.ImporterID, Type: d.Kind, BatchSize: d.BatchSize, Parallel: d.Parallel,
		Schedule: st.Schedule, Enabled: d.DisabledAt == nil, DisabledAt: d.DisabledAt, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
	switch d.Kind {
	case store.KindWebhook:
		v.URL, v.Secrets = st.Webhook.URL, len(st.Webhook.Secrets)
		for k := range st.Webhook.Headers {
			v.HeaderNames = append(v.HeaderNames, k) // values may be credentials
		}
		slices.Sort(v.HeaderNames)
	case store.KindS3:
		c := st.S3
		v.Bucket, v.Region, v.Endpoint, v.KeyTemplate, v.Format = c.Bucket, c.Region, c.Endpoint, c.KeyTemplate, string(c.Format)
		v.Credentials = c.AccessKeyID != ""
	case store.KindPostgres:
		c := st.Postgres
		if u, err := url.Parse(c.URL); err == nil {
			v.URL = u.Redacted()
		}
		v.Schema, v.Table, v.Columns, v.Key = c.Schema, c.Table, c.Columns, c.Key
	}
	return v
}

// seal seals a destination's settings for the store.
func (s *Service) seal(ctx context.Context, d *store.Destination, st settings) error {
	plain, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("destination %s settings: %w", d.ID, err)
	}
	d.SealedSettings, err = s.vault.SealSecret(ctx, d.ID, plain)
	return err
}

// open reads a destination's sealed settings.
func (s *Service) open(ctx context.Context, d store.Destination) (settings, error) {
	var st settings
	plain, err := s.vault.OpenSecret(ctx, d.ID, d.SealedSettings)
	if err != nil {
		return st, fmt.Errorf("destination %s settings: %w", d.ID, err)
	}
	if err := json.Unmarshal(plain, &st); err != nil {
		return st, fmt.Errorf("destination %s settings: %w", d.ID, err)
	}
	return st, nil
}

// CreateDestination adds a destination to an importer of orgID.
func (s *Service) CreateDestination(ctx context.Context, orgID, importerID string, in Input) (Destination, error) {
	importer, err := s.st.Importer(ctx, orgID, importerID)
	if err != nil {
		return Destination{}, err
	}
	if in.Type == nil {
		return Destination{}, invalid("type is required: webhook, s3 or postgres")
	}
	kind := *in.Type
	switch kind {
	case store.KindWebhook, store.KindS3, store.KindPostgres:
	default:
		return Destination{}, invalid("type must be webhook, s3 or postgres")
	}
	if err := checkKind(importer.Mode, kind); err != nil {
		return Destination{}, invalid("%s", err)
	}
	if in.Enabled != nil || in.RotateSecret || in.DropOldSecret {
		return Destination{}, invalid("enabled, rotate_secret and drop_old_secret apply to an existing destination")
	}
	d := store.Destination{ID: store.NewID("dst_"), OrgID: orgID, ImporterID: importer.ID, Kind: kind,
		BatchSize: destination.DefaultBatchSize, Parallel: 1}
	var st settings
	secret, err := s.applyInput(ctx, in, &d, &st)
	if err != nil {
		return Destination{}, err
	}
	if d, err = s.st.CreateDestination(ctx, d); err != nil {
		return Destination{}, err
	}
	s.log.InfoContext(ctx, "destination created", "destination_id", d.ID, "importer_id", d.ImporterID, "type", d.Kind)
	v := view(d, st)
	v.Secret = secret
	return v, nil
}

// applyInput applies in to d and its settings st, checks the result and
// seals the settings into d; it returns a new webhook secret, if any.
func (s *Service) applyInput(ctx context.Context, in Input, d *store.Destination, st *settings) (string, error) {
	secret, err := in.apply(d, st, s.now())
	if err == nil {
		err = s.check(*d, *st)
	}
	if err == nil {
		err = s.seal(ctx, d, *st)
	}
	return secret, err
}

// UpdateDestination changes the settings in given, keeping the others.
func (s *Service) UpdateDestination(ctx context.Context, orgID, importerID, id string, in Input) (Destination, error) {
	d, err := s.st.Destination(ctx, orgID, importerID, id)
	if err != nil {
		return Destination{}, err
	}
	if in.Type != nil && *in.Type != d.Kind {
		return Destination{}, invalid("type cannot change: create another destination")
	}
	st, err := s.open(ctx, d)
	if err != nil {
		return Destination{}, err
	}
	secret, err := s.applyInput(ctx, in, &d, &st)
	if err != nil {
		return Destination{}, err
	}
	if d, err = s.st.UpdateDestination(ctx, d); err != nil {
		return Destination{}, err
	}
	v := view(d, st)
	v.Secret = secret
	return v, nil
}

// Destination returns one destination of an importer of orgID.
func (s *Service) Destination(ctx context.Context, orgID, importerID, id string) (Destination, error) {
	d, err := s.st.Destination(ctx, orgID, importerID, id)
	if err != nil {
		return Destination{}, err
	}
	st, err := s.open(ctx, d)
	if err != nil {
		return Destination{}, err
	}
	return view(d, st), nil
}

// Destinations lists the destinations of an importer of orgID.
func (s *Service) Destinations(ctx context.Context, orgID, importerID string) ([]Destination, error) {
	if _, err := s.st.Importer(ctx, orgID, importerID); err != nil {
		return nil, err
	}
	ds, err := s.st.Destinations(ctx, orgID, importerID)
	if err != nil {
		return nil, err
	}
	out := make([]Destination, 0, len(ds))
	for _, d := range ds {
		st, err := s.open(ctx, d)
		if err != nil {
			return nil, err
		}
		out = append(out, view(d, st))
	}
	return out, nil
}

// DeleteDestination removes a destination and destroys its settings;
// deliveries still pending to it stop.
func (s *Service) DeleteDestination(ctx context.Context, orgID, importerID, id string) error {
	return s.st.DeleteDestination(ctx, orgID, importerID, id)
}

// Attempt is one line of the delivery log as the API shows it.
type Attempt struct {
	Message      string     `json:"message"`
	Batch        int        `json:"batch"`
	Number       int        `json:"attempt"`
	StartedAt    time.Time  `json:"started_at"`
	LatencyMS    float64    `json:"latency_ms"`
	Status       int        `json:"status"`
	Outcome      string     `json:"outcome"`
	Error        string     `json:"error,omitempty"`
	RetryAfterMS int64      `json:"retry_after_ms,omitempty"`
	NextRetry    *time.Time `json:"next_retry,omitempty"`
}

func attemptView(a store.Attempt) Attempt {
	return Attempt{Message: a.Message, Batch: a.Batch, Number: a.Number, StartedAt: a.StartedAt,
		LatencyMS: float64(a.Latency.Microseconds()) / 1000, Status: a.Status, Outcome: a.Outcome, Error: a.Error,
		RetryAfterMS: a.RetryAfter.Milliseconds(), NextRetry: a.NextRetry}
}

// TestDestination sends a webhook destination a destination.test event
// (no row) and returns the attempt. It is not recorded.
func (s *Service) TestDestination(ctx context.Context, orgID, importerID, id string) (Attempt, error) {
	importer, err := s.st.Importer(ctx, orgID, importerID)
	if err != nil {
		return Attempt{}, err
	}
	d, err := s.st.Destination(ctx, orgID, importerID, id)
	if err != nil {
		return Attempt{}, err
	}
	if d.Kind != store.KindWebhook {
		return Attempt{}, invalid("test events are sent to webhook destinations")
	}
	st, err := s.open(ctx, d)
	if err != nil {
		return Attempt{}, err
	}
	var a destination.Attempt
	m := webhook.TestMessage(importer.Key, d.ID)
	if target, err := s.sender.Target(st.Webhook); err != nil {
		a = destination.Attempt{Message: m.ID, Batch: -1, Started: s.now(), Outcome: destination.Invalid, Error: err.Error()}
	} else {
		a, _ = target.Send(ctx, m)
	}
	a.Number = 1
	return attemptView(storeAttempt("", a)), nil
}

// ErrNotCompleted refuses a replay of an import that is not completed.
var ErrNotCompleted = errors.New("the import is not completed")
