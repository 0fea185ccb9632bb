package delivery

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/intakehq/intake/internal/delivery/destination"
	"github.com/intakehq/intake/internal/delivery/outbound"
	"github.com/intakehq/intake/internal/delivery/postgres"
	"github.com/intakehq/intake/internal/delivery/s3"
	"github.com/intakehq/intake/internal/delivery/webhook"
	"github.com/intakehq/intake/internal/store"
)

// InvalidError is a destination setting refused. Its message names the
// setting and the rule, never the value given (it may be a credential).
type InvalidError struct{ Message string }

func (e *InvalidError) Error() string { return e.Message }

func invalid(format string, args ...any) error {
	return &InvalidError{Message: fmt.Sprintf(format, args...)}
}

// Input is a destination's settings as the API takes them: every field
// optional, so that PATCH changes only what it names. Fields of another
// type than the destination's are refused.
type Input struct {
	Type      *string `json:"type"`
	BatchSize *int    `json:"batch_size"`
	Parallel  *int    `json:"parallel"`
	Schedule  *string `json:"schedule"`
	// Enabled re-enables a destination disabled after a 410 Gone (true), or
	// pauses one (false).
	Enabled *bool `json:"enabled"`

	// URL is the webhook's endpoint, or the PostgreSQL connection URL.
	URL     *string            `json:"url"`
	Headers *map[string]string `json:"headers"`
	// RotateSecret adds a new signing secret, signing with both until
	// DropOldSecret removes the older one.
	RotateSecret  bool `json:"rotate_secret"`
	DropOldSecret bool `json:"drop_old_secret"`

	Bucket          *string `json:"bucket"`
	Region          *string `json:"region"`
	Endpoint        *string `json:"endpoint"`
	AccessKeyID     *string `json:"access_key_id"`
	SecretAccessKey *string `json:"secret_access_key"`
	KeyTemplate     *string `json:"key_template"`
	Format          *string `json:"format"`

	Schema  *string            `json:"schema"`
	Table   *string            `json:"table"`
	Columns *map[string]string `json:"columns"`
	Key     *[]string          `json:"key"`
}

// settings is what the vault seals for a destination.
type settings struct {
	Webhook  webhook.Endpoint `json:"webhook"`
	S3       s3.Config        `json:"s3"`
	Postgres postgres.Config  `json:"postgres"`
	Schedule string           `json:"schedule,omitempty"`
}

// Bounds on settings.
const (
	maxURL        = 2048
	maxHeaders    = 20
	maxHeaderLen  = 4096
	maxSchedule   = 20
	maxSecrets    = 2
	maxIdentifier = 63
	maxMapped     = 1000
)

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$]*$`)

// foreign names the fields given that a destination of kind does not take.
func (in Input) foreign(kind string) string {
	given := map[string]bool{
		"url": in.URL != nil, "headers": in.Headers != nil, "rotate_secret": in.RotateSecret, "drop_old_secret": in.DropOldSecret,
		"bucket": in.Bucket != nil, "region": in.Region != nil, "endpoint": in.Endpoint != nil, "access_key_id": in.AccessKeyID != nil,
		"secret_access_key": in.SecretAccessKey != nil, "key_template": in.KeyTemplate != nil, "format": in.Format != nil,
		"schema": in.Schema != nil, "table": in.Table != nil, "columns": in.Columns != nil, "key": in.Key != nil,
		"parallel": in.Parallel != nil,
	}
	allowed := map[string][]string{
		store.KindWebhook:  {"url", "headers", "rotate_secret", "drop_old_secret", "parallel"},
		store.KindS3:       {"bucket", "region", "endpoint", "access_key_id", "secret_access_key", "key_template", "format"},
		store.KindPostgres: {"url", "schema", "table", "columns", "key"},
	}[kind]
	names := make([]string, 0, len(given))
	for name, ok := range given {
		if ok && !slices.Contains(allowed, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// apply copies the given fields onto a destination's row and settings and
// checks the result. A new webhook secret, if one was made, is returned so
// that it can be shown once.
func (in Input) apply(d *store.Destination, st *settings, now time.Time) (secret string, err error) {
	if f := in.foreign(d.Kind); f != "" {
		return "", invalid("%s destinations do not take: %s", d.Kind, f)
	}
	if in.BatchSize != nil {
		d.BatchSize = *in.BatchSize
	}
	if in.Parallel != nil {
		d.Parallel = *in.Parallel
	}
	if in.Schedule != nil {
		st.Schedule = strings.TrimSpace(*in.Schedule)
	}
	if in.Enabled != nil {
		if *in.Enabled {
			d.DisabledAt = nil
		} else if d.DisabledAt == nil {
			d.DisabledAt = &now
		}
	}
	switch d.Kind {
	case store.KindWebhook:
		secret = in.applyWebhook(&st.Webhook)
	case store.KindS3:
		in.applyS3(&st.S3)
	case store.KindPostgres:
		in.applyPostgres(&st.Postgres)
	}
	return secret, nil
}

func (in Input) applyWebhook(ep *webhook.Endpoint) (secret string) {
	if in.URL != nil {
		ep.URL = strings.TrimSpace(*in.URL)
	}
	if in.Headers != nil {
		ep.Headers = *in.Headers
	}
	if in.DropOldSecret && len(ep.Secrets) > 1 {
		ep.Secrets = ep.Secrets[:1]
	}
	if in.RotateSecret || len(ep.Secrets) == 0 {
		secret = webhook.NewSecret()
		ep.Secrets = append([]string{secret}, ep.Secrets...)
	}
	return secret
}

func (in Input) applyS3(c *s3.Config) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	set(&c.Bucket, in.Bucket)
	set(&c.Region, in.Region)
	set(&c.Endpoint, in.Endpoint)
	set(&c.AccessKeyID, in.AccessKeyID)
	set(&c.SecretAccessKey, in.SecretAccessKey)
	set(&c.KeyTemplate, in.KeyTemplate)
	if in.Format != nil {
		c.Format = s3.Format(*in.Format)
	}
}

func (in Input) applyPostgres(c *postgres.Config) {
	if in.URL != nil {
		c.URL = strings.TrimSpace(*in.URL)
	}
	if in.Schema != nil {
		c.Schema = *in.Schema
	}
	if in.Table != nil {
		c.Table = *in.Table
	}
	if in.Columns != nil {
		c.Columns = *in.Columns
	}
	if in.Key != nil {
		c.Key = *in.Key
	}
}

// check validates a destination's settings as a whole. URLs are checked
// for their form here (and a host spelled as a forbidden address is
// refused at once); the outbound guard checks the resolved address again
// at every connection.
func (s *Service) check(d store.Destination, st settings) error {
	if d.BatchSize < destination.MinBatchSize || d.BatchSize > destination.MaxBatchSize {
		return invalid("batch_size must be from %d to %d", destination.MinBatchSize, destination.MaxBatchSize)
	}
	if d.Parallel < 1 || d.Parallel > MaxParallel {
		return invalid("parallel must be from 1 to %d", MaxParallel)
	}
	sched, err := destination.ParseSchedule(st.Schedule)
	if err != nil {
		return invalid("schedule must be Go durations separated by commas, such as \"5s,5m,30m\"")
	}
	if len(sched) > maxSchedule || slices.ContainsFunc(sched, func(d time.Duration) bool { return d > destination.MaxRetryAfter }) {
		return invalid("schedule may list at most %d waits of at most %s each", maxSchedule, destination.MaxRetryAfter)
	}
	switch d.Kind {
	case store.KindWebhook:
		return s.checkWebhook(st.Webhook)
	case store.KindS3:
		return s.checkS3(st.S3)
	case store.KindPostgres:
		return s.checkPostgres(st.Postgres)
	}
	return invalid("type must be webhook, s3 or postgres")
}

func checkHTTPURL(raw, setting string, allowEmpty bool) error {
	if raw == "" && allowEmpty {
		return nil
	}
	u, err := url.Parse(raw)
	switch {
	case len(raw) > maxURL:
		return invalid("%s must be at most %d characters", setting, maxURL)
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "":
		return invalid("%s must be an http or https URL with a host", setting)
	case u.User != nil:
		return invalid("%s must not hold credentials", setting)
	}
	return nil
}

func (s *Service) checkWebhook(ep webhook.Endpoint) error {
	if err := checkHTTPURL(ep.URL, "url", false); err != nil {
		return err
	}
	if len(ep.Headers) > maxHeaders {
		return invalid("headers may hold at most %d entries", maxHeaders)
	}
	for k, v := range ep.Headers {
		if len(k)+len(v) > maxHeaderLen {
			return invalid("a header may be at most %d bytes", maxHeaderLen)
		}
	}
	if len(ep.Secrets) > maxSecrets {
		return invalid("a destination signs with at most %d secrets: drop the old one (drop_old_secret) before rotating again", maxSecrets)
	}
	if _, err := webhook.NewSigner(ep.Secrets...); err != nil {
		return invalid("signing secret is malformed")
	}
	// The sender's own check: the host's spelling against the outbound
	// guard, and header names and values (reserved names, control
	// characters).
	if _, err := s.sender.Target(ep); err != nil {
		if errors.Is(err, outbound.ErrForbidden) {
			return invalid("url%s", guardMessage)
		}
		return invalid("url or headers refused: headers may not set webhook-*, Content-Type, Host or hop-by-hop headers, nor contain control characters")
	}
	return nil
}

// guardMessage is the refusal of a host the outbound guard refuses.
const guardMessage = " names an address the outbound guard refuses (loopback, private, link-local, metadata…); an operator can allow ranges with --outbound-allow"

// checkHost refuses, as a destination is saved, a host whose spelling
// already names an address the outbound guard refuses (any IP literal
// spelling, or a loopback name such as localhost, judged by name without
// resolving it). The dial-time check still runs on every connection: a
// name can resolve elsewhere later.
func (s *Service) checkHost(host, setting string) error {
	if err := s.policy.CheckHost(host); err != nil {
		if errors.Is(err, outbound.ErrForbidden) {
			return invalid("%s%s", setting, guardMessage)
		}
		return invalid("%s has a malformed host", setting)
	}
	return nil
}

func (s *Service) checkS3(c s3.Config) error {
	if c.Bucket == "" || len(c.Bucket) > 255 {
		return invalid("bucket is required (at most 255 characters)")
	}
	if err := checkHTTPURL(c.Endpoint, "endpoint", true); err != nil {
		return err
	}
	if c.Endpoint != "" {
		u, _ := url.Parse(c.Endpoint) // checkHTTPURL parsed it
		if err := s.checkHost(u.Hostname(), "endpoint"); err != nil {
			return err
		}
	}
	if (c.AccessKeyID == "") != (c.SecretAccessKey == "") {
		return invalid("access_key_id and secret_access_key go together")
	}
	switch c.Format {
	case "", s3.CSV, s3.JSONL, s3.Parquet:
	default:
		return invalid("format must be csv, jsonl or parquet")
	}
	if len(c.KeyTemplate) > 1024 {
		return invalid("key_template must be at most 1024 characters")
	}
	if _, err := c.Key(destination.Import{ID: "imt_x", Importer: "imp_x"}, time.Now()); err != nil {
		return invalid("key_template may use {importer}, {import_id}, {ext} and {date} and must give a relative key")
	}
	return nil
}

func (s *Service) checkPostgres(c postgres.Config) error {
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Hostname() == "" || len(c.URL) > maxURL {
		return invalid("url must be a postgres:// connection URL with a host")
	}
	// The hosts the driver will connect to, as it reads them: several
	// hosts and a host= parameter override what url.Parse sees.
	hosts, err := postgres.Hosts(c.URL)
	if err != nil {
		return invalid("url must be a postgres:// connection URL with a host")
	}
	for _, h := range hosts {
		if strings.HasPrefix(h, "/") {
			return invalid("url names a Unix socket; destinations are reached over TCP only")
		}
		if err := s.checkHost(h, "url"); err != nil {
			return err
		}
	}
	for _, name := range []struct{ setting, v string }{{"schema", c.Schema}, {"table", c.Table}} {
		if (name.v != "" || name.setting == "table") && (!identifier.MatchString(name.v) || len(name.v) > maxIdentifier) {
			return invalid("%s must be a PostgreSQL identifier (letters, digits, _; at most %d characters)", name.setting, maxIdentifier)
		}
	}
	if len(c.Columns) > maxMapped || len(c.Key) > maxMapped {
		return invalid("columns and key may hold at most %d entries", maxMapped)
	}
	for _, col := range c.Columns {
		if !identifier.MatchString(col) || len(col) > maxIdentifier {
			return invalid("columns must map template keys to PostgreSQL identifiers")
		}
	}
	for _, col := range c.Key {
		if !identifier.MatchString(col) || len(col) > maxIdentifier {
			return invalid("key must list PostgreSQL identifiers")
		}
	}
	return nil
}

// jobDestination is a destination as the delivery worker sees it.
func jobDestination(d store.Destination, st settings) (Target, error) {
	sched, err := destination.ParseSchedule(st.Schedule)
	if err != nil {
		return Target{}, fmt.Errorf("destination %s schedule: %w", d.ID, err)
	}
	if st.Schedule == "" {
		sched = nil // the Standard Webhooks schedule
	}
	return Target{ID: d.ID, Kind: Kind(d.Kind), Disabled: d.DisabledAt != nil, Schedule: sched,
		Webhook: st.Webhook, S3: st.S3, Postgres: st.Postgres}, nil
}

// errBypassKind refuses a destination that cannot take rows while they are
// uploaded.
var errBypassKind = errors.New("a bypass-storage importer delivers to webhooks only: S3 and PostgreSQL destinations write a whole import at once")

// errE2EPostgres refuses a PostgreSQL destination for an end-to-end
// encrypted importer: the server holds only ciphertext, so it has no rows
// to insert (docs/e2e.md).
var errE2EPostgres = errors.New("an end-to-end encrypted importer cannot deliver to PostgreSQL: the server has no key to read the rows it would insert; use a webhook or S3 and decrypt on your side")

// checkKind refuses a destination of kind for an importer in mode when
// that mode cannot give it what it needs: a bypass importer has rows only
// while they are uploaded (webhooks alone take them then), and an e2e
// importer has no plaintext (webhooks take age envelopes, S3 .age
// objects; PostgreSQL would need rows).
func checkKind(mode, kind string) error {
	switch {
	case mode == store.ModeBypass && kind != store.KindWebhook:
		return errBypassKind
	case mode == store.ModeE2E && kind == store.KindPostgres:
		return errE2EPostgres
	}
	return nil
}

// ModeError refuses to save an importer in a mode that one of its
// destinations does not suit (checkKind): the destination must go first.
type ModeError struct {
	// DestinationID and Kind name the destination in the way.
	DestinationID, Kind string
	// Err is the rule, as CreateDestination states it.
	Err error
}

func (e *ModeError) Error() string {
	return fmt.Sprintf("the importer's %s destination %s does not suit this mode (%v); delete that destination, then save the importer", e.Kind, e.DestinationID, e.Err)
}

func (e *ModeError) Unwrap() error { return e.Err }

// CheckMode refuses mode for an importer whose live destinations are
// dests when one of them cannot work in it, as CreateDestination refuses
// such a destination for an importer already in that mode: switching an
// importer with a PostgreSQL destination to e2e would leave that
// destination without rows, and it would be skipped silently.
func CheckMode(mode string, dests []store.Destination) error {
	for _, d := range dests {
		if err := checkKind(mode, d.Kind); err != nil {
			return &ModeError{DestinationID: d.ID, Kind: d.Kind, Err: err}
		}
	}
	return nil
}
