package fileimport

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/intakehq/intake/internal/ingest"
	"github.com/intakehq/intake/internal/parse"
	"github.com/intakehq/intake/internal/queue"
	"github.com/intakehq/intake/internal/store"
	"github.com/intakehq/intake/internal/template"
)

// Job runs one file import. It holds only the import's id.
type Job struct {
	ImportID string `json:"import_id"`
}

// Kind names the job in the queue's table.
func (Job) Kind() string { return "intake_file_import" }

// Queue is the named queue file imports run on, apart from deliveries so
// that a long file does not hold a delivery back.
const Queue = "file_import"

// InsertOptions put file imports on their own queue, once per import. A
// file's own faults fail the import at once, without a retry; store and
// queue failures are retried until MaxFailedRuns runs failed, and the run
// after fails the import. The queue gives the job a few runs more than
// that, so that it does not give up on an import still running (a give-up
// is silent: nothing would ever mark the import failed).
func (Job) InsertOptions() queue.InsertOptions {
	return queue.InsertOptions{Queue: Queue, MaxAttempts: MaxFailedRuns + 3, UniqueByArgs: true}
}

// MaxFailedRuns bounds the runs of a file import's job, or of a watched
// object's, that fail (an error, a timeout, a crash of the process) before
// it fails the import or gives the object up.
const MaxFailedRuns = 10

// Register adds file import jobs (and, when watching, the watcher's) to a
// replica's job kinds.
func (s *Service) Register(ws *queue.Workers) {
	queue.Register(ws, s.o.JobTimeout, s.work)
}

func (s *Service) work(ctx context.Context, j Job) error {
	done, err := s.Run(ctx, j.ImportID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return queue.Cancel(err)
	case err != nil:
		return err
	case !done:
		return queue.Snooze(0) // the slice is used up: resume from the chunks stored
	}
	return nil
}

// Chunking: the widget's 5,000 rows a chunk, cut earlier at chunkBytes of
// cells (half ingest's default bound on a chunk as sent, which a chunk of
// rows does not pass through but stays as small as).
const (
	chunkRows  = 5000
	chunkBytes = 4 << 20
	// MaxReportErrors bounds the error report kept for an import; the
	// import's error count goes on past it.
	MaxReportErrors = 10_000
)

// Failure codes of a file import besides the parser's and the plan's.
const (
	CodeInvalidRows     = "invalid_rows"
	CodeRowsWithErrors  = "rows_with_errors"
	CodeImporterDeleted = "importer_deleted"
	CodePurged          = "purged"
	CodeUnreadable      = "unreadable_file"
	CodeJobFailed       = "job_failed"
)

// outcome is where a run ended.
type outcome struct {
	rows     int64 // data rows parsed
	skipped  int64 // blank rows the parser dropped
	chunks   int
	report   []store.FileImportError
	errors   int64
	failure  *PlanError
	finished bool
	// fileRow names the file's row of a data row (Rows.FileRow).
	fileRow func(int64) int64
}

// addDetails adds the cells ingest refused to the report, each named by
// its file row.
func (o *outcome) addDetails(ie *ingest.Error) {
	for _, d := range ie.Details {
		o.errors++
		if len(o.report) < MaxReportErrors {
			o.report = append(o.report, store.FileImportError{Row: o.fileRow(d.Row), Column: d.Column, Code: d.Code})
		}
	}
}

// Run works on a file import for up to a slice and reports whether it is
// done (completed or failed); a run that is not done resumes, in a later
// run, from the chunks ingest holds.
func (s *Service) Run(ctx context.Context, importID string) (bool, error) {
	fi, err := s.o.Store.FileImportByID(ctx, importID)
	if err != nil {
		return false, err
	}
	if fi.State == store.FileCompleted || fi.State == store.FileFailed {
		return true, s.afterImport(ctx, fi)
	}
	failed, err := s.o.Store.BeginFileImportRun(ctx, importID)
	if err != nil {
		return false, err
	}
	if failed >= MaxFailedRuns {
		s.o.Logger.WarnContext(ctx, "file import gives up", "import_id", importID, "failed_runs", failed)
		return true, s.finish(ctx, fi, outcome{rows: fi.RowsParsed, failure: planErrorf(CodeJobFailed,
			"the import's job failed %d times (the server's log says why); nothing was imported", failed)})
	}
	im, err := s.o.Store.ImportByID(ctx, importID)
	if err != nil {
		return false, err
	}
	if im.Status == store.StatusPurged || len(im.WrappedKey) == 0 {
		return true, s.finish(ctx, fi, outcome{failure: planErrorf(CodePurged, "the import was purged before its file was read")})
	}
	key, err := s.o.Vault.DataKey(ctx, im.ID, im.WrappedKey)
	if err != nil {
		return false, err
	}
	plain, err := key.Open(nil, purposeSpec, 0, fi.SealedSpec)
	if err != nil {
		return false, fmt.Errorf("file import %s spec: %w", importID, err)
	}
	var sp spec
	if err := json.Unmarshal(plain, &sp); err != nil {
		return false, fmt.Errorf("file import %s spec: %w", importID, err)
	}
	importer, err := s.o.Store.Importer(ctx, im.OrgID, im.ImporterID)
	if errors.Is(err, store.ErrNotFound) {
		return true, s.finish(ctx, fi, outcome{failure: planErrorf(CodeImporterDeleted, "the importer was deleted")})
	}
	if err != nil {
		return false, err
	}
	t, err := template.Parse(importer.Template)
	if err != nil {
		return false, fmt.Errorf("importer %s template: %w", importer.ID, err)
	}
	src := &sourceReader{ctx: ctx, b: s.o.Bucket, key: key, importID: importID, segments: fi.SourceSegments, size: sp.Size}
	start := time.Now()
	o, err := s.send(ctx, fi, sp, src, t, importer.AllowInvalid, start.Add(s.o.Slice))
	if err != nil {
		return false, err
	}
	if !o.finished {
		s.o.Logger.InfoContext(ctx, "file import yields", "import_id", importID, "rows_parsed", o.rows, "chunks", o.chunks)
		return false, s.o.Store.EndFileImportRun(ctx, importID, o.rows)
	}
	if o.failure == nil {
		_, err := s.o.Ingest.Complete(ctx, importID, sp.Token, ingest.CompleteRequest{Chunks: o.chunks, Rows: o.rows, RowsSkipped: o.skipped})
		var ie *ingest.Error
		switch {
		case errors.As(err, &ie) && ie.Kind == ingest.KindInvalidRows:
			// Values of unique columns that earlier rows in other chunks
			// hold are found when the import completes.
			o.addDetails(ie)
			o.failure = planErrorf(CodeInvalidRows, "%d cells do not pass the template; nothing was imported", o.errors)
		case errors.As(err, &ie):
			o.failure = planErrorf(ie.Code, "%s", ie.Message)
		case err != nil:
			return false, fmt.Errorf("complete file import %s: %w", importID, err)
		}
	}
	s.o.Logger.InfoContext(ctx, "file import finished", "import_id", importID, "rows", o.rows, "chunks", o.chunks,
		"errors", o.errors, "failed", o.failure != nil, "duration_ms", time.Since(start).Milliseconds())
	return true, s.finish(ctx, fi, o)
}

// send parses the file and sends its chunks until the end or the deadline.
func (s *Service) send(ctx context.Context, fi store.FileImport, sp spec, src *sourceReader, t *template.Template,
	importerAllows bool, deadline time.Time) (outcome, error) {
	var o outcome
	opts := sp.Options
	opts.validUTF8 = sp.ValidUTF8
	rs, _, err := Open(src, sp.Size, sp.Name, t, opts, sp.Learned, s.o.Limits)
	if err != nil {
		var pe *PlanError
		if errors.As(err, &pe) {
			o.failure, o.finished = pe, true
			return o, nil
		}
		if ctx.Err() != nil {
			return o, ctx.Err()
		}
		o.failure, o.finished = parseFailure(err), true
		return o, nil
	}
	defer rs.Close()
	o.fileRow = rs.FileRow
	status, err := s.o.Ingest.Status(ctx, fi.ImportID, sp.Token)
	if err != nil {
		return o, fmt.Errorf("file import %s status: %w", fi.ImportID, err)
	}
	stored := make(map[int]bool, len(status.Chunks))
	for _, n := range status.Chunks {
		stored[n] = true
	}
	if err := s.o.Store.FileImportProgress(ctx, fi.ImportID, store.FileRunning, 0); err != nil {
		return o, err
	}
	strict := sp.Options.AllowInvalid != nil && !*sp.Options.AllowInvalid && importerAllows
	b := newBatch(len(rs.Plan().Sources))
	var first int64 // the first row of the batch
	flush := func() (bool, error) {
		n := o.chunks
		o.chunks++
		if stored[n] {
			return false, nil
		}
		for {
			_, err := s.o.Ingest.PutRows(ctx, fi.ImportID, sp.Token, n, first, b.rows)
			var ie *ingest.Error
			switch {
			case err == nil:
				return true, nil
			case errors.As(err, &ie) && ie.Kind == ingest.KindBusy:
				select {
				case <-ctx.Done():
					return false, ctx.Err()
				case <-time.After(ie.RetryAfter):
				}
			case errors.As(err, &ie) && ie.Kind == ingest.KindInvalidRows:
				o.addDetails(ie)
				return true, nil
			case errors.As(err, &ie):
				o.failure, o.finished = planErrorf(ie.Code, "chunk %d: %s", n, ie.Message), true
				return false, nil
			default:
				return false, fmt.Errorf("file import %s chunk %d: %w", fi.ImportID, n, err)
			}
		}
	}
	for {
		row, err := rs.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if ctx.Err() != nil {
				return o, ctx.Err()
			}
			o.failure, o.finished = parseFailure(err), true
			return o, nil
		}
		b.add(row)
		o.rows++
		if len(b.rows) < chunkRows && b.bytes < chunkBytes {
			continue
		}
		sent, err := flush()
		if err != nil || o.finished {
			return o, err
		}
		b.reset()
		first = o.rows
		if sent {
			if err := s.o.Store.FileImportProgress(ctx, fi.ImportID, store.FileRunning, o.rows); err != nil {
				return o, err
			}
			if time.Now().After(deadline) {
				return o, nil
			}
		}
	}
	if len(b.rows) > 0 {
		if _, err := flush(); err != nil || o.finished {
			return o, err
		}
	}
	o.finished, o.skipped = true, rs.Skipped()
	switch {
	case o.errors > 0:
		o.failure = planErrorf(CodeInvalidRows, "%d cells do not pass the template; nothing was imported", o.errors)
	case strict:
		// The importer stores invalid rows flagged, and this import asked
		// not to: it fails if any stored row has errors.
		im, err := s.o.Store.ImportByID(ctx, fi.ImportID)
		if err != nil {
			return o, err
		}
		if im.RowsWithErrors > 0 {
			o.errors = im.RowsWithErrors
			o.failure = planErrorf(CodeRowsWithErrors, "%d rows do not pass the template and allow_invalid is false; nothing was imported", o.errors)
		}
	}
	return o, nil
}

// finish records the outcome. A failed import keeps nothing: it is purged
// (data key shredded, chunks and file deleted); a completed one loses its
// file, which its rows now hold.
func (s *Service) finish(ctx context.Context, fi store.FileImport, o outcome) error {
	state, code, msg := store.FileCompleted, "", ""
	if o.failure != nil {
		state, code, msg = store.FileFailed, o.failure.Code, o.failure.Message
	}
	if o.failure != nil {
		if err := s.o.Purge(ctx, fi.OrgID, fi.ImportID); err != nil {
			return fmt.Errorf("purge failed file import %s: %w", fi.ImportID, err)
		}
	} else {
		deleteSource(ctx, s.o.Bucket, fi.ImportID, fi.SourceSegments)
	}
	if err := s.o.Store.FinishFileImport(ctx, fi.ImportID, state, o.rows, code, msg, o.report, o.errors); err != nil {
		return err
	}
	fi.State = state
	return s.afterImport(ctx, fi)
}

// parseFailure is the outcome of a file the parser refused: its code (the
// widget's, parse.Code) and message, which name limits and positions, never
// a cell.
func parseFailure(err error) *PlanError {
	return planErrorf(cmp.Or(parse.Code(err), CodeUnreadable), "%v", err)
}
