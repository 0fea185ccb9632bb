// Package fileimport runs headless imports: a file a program sent through
// the API (or the command line), or that appeared in a watched S3 prefix,
// parsed on the server (package parse), mapped onto the importer's template
// (package mapping) and sent, chunk by chunk, through ingest's upload path —
// the same validation, unique claims, sealing and storage, completion and
// deliveries as the widget's chunks, not a second pipeline.
//
// Submit answers at once: it opens the import, seals the file as it arrives
// into segments under the import's blob prefix (so its plaintext never
// touches disk and a purge removes it) and enqueues the import's job in the
// transaction that records it. The job survives restarts: it resumes from
// the chunks ingest already holds, and yields after a time slice. Its
// outcome and error report (file row, template column, rule code) are in
// the store; the report never holds a cell, nor a header's text.
//
// fileimport never logs or returns a cell value: its log lines carry ids,
// counts and durations, its errors name rows, columns and codes.
package fileimport

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"strings"
	"time"

	"gocloud.dev/blob"

	"github.com/intakehq/intake/internal/ingest"
	"github.com/intakehq/intake/internal/mapping"
	"github.com/intakehq/intake/internal/parse"
	"github.com/intakehq/intake/internal/queue"
	"github.com/intakehq/intake/internal/store"
	"github.com/intakehq/intake/internal/template"
	"github.com/intakehq/intake/internal/vault"
)

// Config configures a Service. Every field but the bounds is required.
type Config struct {
	Store  *store.Store
	Vault  *vault.Vault
	Bucket *blob.Bucket
	Ingest *ingest.Service
	// Purge purges one import now (retention's PurgeImport, set by
	// server): a failed file import keeps nothing. A hook, so that this
	// stage, upstream of ingest, imports no later one.
	Purge  func(ctx context.Context, orgID, importID string) error
	Queue  *queue.Queue
	Logger *slog.Logger
	// MaxFileBytes bounds a file as sent, whatever its importer's
	// max_file_bytes (DefaultMaxFileBytes when 0).
	MaxFileBytes int64
	// MaxImportRows is ingest's bound on the rows of an import (ingest's
	// default when 0): what an import announces, its row count unknown.
	MaxImportRows int64
	// Limits bound the parser.
	Limits parse.Limits
	// Slice bounds one run of a job, which then yields and resumes (1 min
	// when 0); JobTimeout bounds a run (Slice plus a minute when 0).
	Slice, JobTimeout time.Duration
}

// DefaultMaxFileBytes bounds a file sent to the API.
const DefaultMaxFileBytes = 1 << 30

// Service submits file imports and runs their jobs.
type Service struct {
	o Config
	// watcher tags or moves a watched object once its import is done
	// (set by NewWatcher; nil when nothing is watched).
	watcher *Watcher
}

// New returns a Service.
func New(o Config) *Service {
	o.MaxFileBytes = cmp.Or(o.MaxFileBytes, DefaultMaxFileBytes)
	o.MaxImportRows = cmp.Or(o.MaxImportRows, ingest.DefaultMaxImportRows)
	o.Slice = cmp.Or(o.Slice, time.Minute)
	o.JobTimeout = cmp.Or(o.JobTimeout, o.Slice+time.Minute)
	return &Service{o: o}
}

// Errors Submit's callers branch on; their messages are the client's.
var (
	ErrTooLarge    = errors.New("the file is larger than the importer or server allows")
	ErrUnsupported = errors.New("this importer's mode takes no files from the server: client-only and end-to-end encrypted importers keep rows out of the server's reach")
	ErrOptions     = errors.New("invalid options")
)

// spec is what the job needs besides the ids, sealed with the import's data
// key: the upload token its chunks authenticate with, the file's name (the
// parser's hint) and size, the options, and the importer's learned mappings
// as they were when the file came (every run of the job then maps the file
// the same way; learned headers are kept like cells).
type spec struct {
	Token   string                `json:"token"`
	Name    string                `json:"name"`
	Size    int64                 `json:"size"`
	Options Options               `json:"options"`
	Learned []mapping.LearnedPair `json:"learned,omitempty"`
	// ValidUTF8: every byte of the file is valid UTF-8, checked as it was
	// stored, so that the job's CSV parser need not read it all once more
	// (and at each run after a yield) to detect its encoding.
	ValidUTF8 bool `json:"valid_utf8,omitempty"`
}

// Submission is a file import just submitted.
type Submission struct {
	ImportID string `json:"import_id"`
	State    string `json:"state"`
}

// Submit opens an import of importer for the file in body (name is its
// file name, "" when unknown: the parser's format hint), stores it sealed
// and enqueues its job. claimID is the watch claim it came from, or "".
func (s *Service) Submit(ctx context.Context, importer store.Importer, name string, body io.Reader, o Options, claimID string) (Submission, error) {
	if importer.Mode == store.ModeClient || importer.Mode == store.ModeE2E {
		return Submission{}, ErrUnsupported
	}
	if o.AllowInvalid != nil && *o.AllowInvalid && !importer.AllowInvalid {
		return Submission{}, fmt.Errorf("%w: allow_invalid=true needs an importer that allows invalid rows", ErrOptions)
	}
	t, err := template.Parse(importer.Template)
	if err != nil {
		return Submission{}, fmt.Errorf("importer %s template: %w", importer.ID, err)
	}
	maxRows := s.o.MaxImportRows
	if importer.MaxRows > 0 {
		maxRows = min(maxRows, importer.MaxRows)
	}
	// The import takes every template column; those the file does not fill
	// are sent empty, as the widget leaves unmapped columns. The mapping is
	// the job's: a file's headers are read where its rows are.
	req := ingest.CreateRequest{Importer: importer.Key, Columns: t.Keys(), Rows: maxRows}
	req.Source.Format = formatOf(name)
	created, err := s.o.Ingest.Create(ctx, req)
	if err != nil {
		return Submission{}, err
	}
	id := created.ImportID
	ok := false
	defer func() {
		if !ok { // nothing of it stays: its data key is shredded, its blobs deleted
			if err := s.o.Purge(context.WithoutCancel(ctx), importer.OrgID, id); err != nil {
				s.o.Logger.WarnContext(ctx, "purge a file import that was not submitted", "import_id", id, "err", err)
			}
		}
	}()
	im, err := s.o.Store.Import(ctx, importer.OrgID, id)
	if err != nil {
		return Submission{}, err
	}
	key, err := s.o.Vault.DataKey(ctx, id, im.WrappedKey)
	if err != nil {
		return Submission{}, err
	}
	limit := s.o.MaxFileBytes
	if importer.MaxFileBytes > 0 {
		limit = min(limit, importer.MaxFileBytes)
	}
	var utf8Check parse.UTF8Check
	segments, size, err := writeSource(ctx, s.o.Bucket, key, id, io.TeeReader(body, &utf8Check), limit)
	if errors.Is(err, errTooLarge) {
		return Submission{}, fmt.Errorf("%w (%d bytes at most)", ErrTooLarge, limit)
	}
	if err != nil {
		return Submission{}, err
	}
	learned, err := s.learned(ctx, importer)
	if err != nil {
		return Submission{}, err
	}
	plain, err := json.Marshal(spec{Token: created.UploadToken, Name: path.Base(name), Size: size, Options: o, Learned: learned,
		ValidUTF8: utf8Check.Valid()})
	if err != nil {
		return Submission{}, err
	}
	fi := store.FileImport{ImportID: id, OrgID: importer.OrgID, SourceSegments: segments, SourceBytes: size, WatchClaim: claimID,
		SealedSpec: key.Seal(nil, purposeSpec, 0, plain)}
	if err := s.o.Store.CreateFileImport(ctx, fi, func(tx *sql.Tx) error {
		_, err := s.o.Queue.InsertTx(ctx, tx, Job{ImportID: id})
		return err
	}); err != nil {
		deleteSource(context.WithoutCancel(ctx), s.o.Bucket, id, segments)
		return Submission{}, err
	}
	ok = true
	s.o.Logger.InfoContext(ctx, "file import submitted", "import_id", id, "importer_id", importer.ID, "bytes", size, "segments", segments)
	return Submission{ImportID: id, State: store.FileQueued}, nil
}

// learned is what importer's learned mappings give the automatic matching:
// none unless it learns (LearnMappings), as the widget is given none then.
func (s *Service) learned(ctx context.Context, importer store.Importer) ([]mapping.LearnedPair, error) {
	if !importer.LearnMappings {
		return nil, nil
	}
	ls, err := s.o.Store.ImporterLearned(ctx, importer.ID)
	if err != nil {
		return nil, err
	}
	out := make([]mapping.LearnedPair, len(ls))
	for i, l := range ls {
		out[i] = mapping.LearnedPair{Header: l.Header, Key: l.Key}
	}
	return out, nil
}

// formatOf is the import's source format by the file's extension (csv by
// default: the parser detects the format from the bytes in any case).
func formatOf(name string) string {
	switch ext := strings.ToLower(strings.TrimPrefix(path.Ext(name), ".")); ext {
	case "tsv", "xlsx", "xls", "ods":
		return ext
	}
	return "csv"
}
