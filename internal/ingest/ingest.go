// Package ingest runs upload sessions: it opens an import, takes its chunks
// (decode → re-validate with the template engine → seal with the import's data
// key → blob store → chunk row), answers resumption queries and completes the
// import. A chunk is acknowledged only once it is durable, and a retried chunk
// is answered without being stored twice. Rows are sealed in package rows'
// at-rest format (rows.Encode); reading them back, for anyone, is rows' job.
//
// ingest never logs or returns a cell value: its errors name chunk, row,
// column and rule, and its log lines carry ids, counts and durations.
package ingest

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip" // about twice as fast as compress/gzip at inflating chunks
	"gocloud.dev/blob"

	"github.com/intakehq/intake/internal/e2e"
	"github.com/intakehq/intake/internal/importlog"
	"github.com/intakehq/intake/internal/rows"
	"github.com/intakehq/intake/internal/store"
	"github.com/intakehq/intake/internal/template"
	"github.com/intakehq/intake/internal/validate"
	"github.com/intakehq/intake/internal/vault"
)

// Options configure a Service. Store, Vault, Bucket and Logger are required.
type Options struct {
	Store  *store.Store
	Vault  *vault.Vault
	Bucket *blob.Bucket
	Logger *slog.Logger
	// Metrics may be nil.
	Metrics *Metrics
	// MaxChunkBytes bounds a chunk body as sent (8 MiB by default);
	// MaxInflatedBytes after gzip (4×MaxChunkBytes by default: the widget
	// cuts chunks at MaxChunkBytes of JSON text, up to 3 bytes of UTF-8 a
	// character).
	MaxChunkBytes, MaxInflatedBytes int64
	// MaxImportRows bounds the rows an import may announce, whatever its
	// importer's max_rows (DefaultMaxImportRows when 0).
	MaxImportRows int64
	// MaxChunkRows bounds the rows of one chunk (DefaultMaxChunkRows when
	// 0) and MaxChunkCells its rows × columns (DefaultMaxChunkCells when 0):
	// decoding costs memory by the cell, whatever the bytes.
	MaxChunkRows, MaxChunkCells int
	// DecodeMemory is the working memory that the chunks taken at once may
	// hold together (DefaultDecodeMemory when 0): a chunk reserves an upper
	// bound of its own before it is inflated, and one that cannot get it
	// within DecodeWait (500 ms when 0) is refused with 429 and Retry-After.
	DecodeMemory int64
	DecodeWait   time.Duration
	// TokenTTL is the lifetime of an upload token.
	TokenTTL time.Duration
	// Relay, when set, hands the rows of a bypass-mode chunk to the
	// importer's destinations and returns once every one accepted them.
	Relay Relay
	// OnComplete, when set, runs in the transaction that completes an
	// import: deliveries are enqueued there, so a completed import always
	// has its deliveries and an import that failed to complete has none.
	OnComplete store.CompleteHook
	// Now is the clock; time.Now by default.
	Now func() time.Time
	// DisabledKeys are importer keys answered as unknown, whatever the
	// store holds: the demo importer of an earlier run while the demo is
	// off (its 1-day retention purges what it held).
	DisabledKeys []string
}

// Relay delivers a chunk of a bypass-mode import while the upload is in
// flight. It returns an error unless every destination accepted the rows.
type Relay func(ctx context.Context, im store.Importer, importID string, n int, firstRow int64, columns []string, rows [][]*string) error

// Defaults of the bounds in Options (config uses the same).
const (
	DefaultMaxImportRows = 10_000_000
	DefaultMaxChunkRows  = 10_000    // twice the widget's 5,000
	DefaultMaxChunkCells = 2_500_000 // 5,000 rows of a template's 500 columns at most
	DefaultDecodeMemory  = 128 << 20
)

// Service is the upload pipeline.
type Service struct {
	o       Options
	memory  *memoryBudget
	mu      sync.Mutex
	engines map[string]*compiled // by importer id and update time
}

type compiled struct {
	tmpl   *template.Template
	engine *validate.Engine
	keys   []string
	// uniqueColumns counts the template's unique columns.
	uniqueColumns int
}

// New returns a Service.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	o.MaxChunkBytes = cmp.Or(o.MaxChunkBytes, 8<<20)
	o.MaxInflatedBytes = cmp.Or(o.MaxInflatedBytes, 4*o.MaxChunkBytes)
	o.MaxImportRows = cmp.Or(o.MaxImportRows, DefaultMaxImportRows)
	o.MaxChunkRows = cmp.Or(o.MaxChunkRows, DefaultMaxChunkRows)
	o.MaxChunkCells = cmp.Or(o.MaxChunkCells, DefaultMaxChunkCells)
	o.DecodeMemory = cmp.Or(o.DecodeMemory, DefaultDecodeMemory)
	o.DecodeWait = cmp.Or(o.DecodeWait, 500*time.Millisecond)
	o.TokenTTL = cmp.Or(o.TokenTTL, 24*time.Hour)
	return &Service{o: o, memory: newMemoryBudget(o.DecodeMemory, o.DecodeWait), engines: map[string]*compiled{}}
}

// Disabled reports whether an importer key is switched off (DisabledKeys).
func (s *Service) Disabled(key string) bool { return slices.Contains(s.o.DisabledKeys, key) }

// MaxChunkBytes is the bound told to clients.
func (s *Service) MaxChunkBytes() int64 { return s.o.MaxChunkBytes }

// Limits on the shape of an upload.
const (
	MaxChunks     = 1 << 20
	maxDetails    = 1000 // refused-row details returned at most
	maxUserBytes  = 16 << 10
	tokenBytes    = 32
	formatPattern = "csv|tsv|xlsx|xls|ods|json"
)

var formats = map[string]bool{"csv": true, "tsv": true, "xlsx": true, "xls": true, "ods": true, "json": true}

func (s *Service) engine(im store.Importer) (*compiled, error) {
	id := im.ID + "@" + strconv.FormatInt(im.UpdatedAt.UnixMicro(), 10)
	s.mu.Lock()
	c, ok := s.engines[id]
	s.mu.Unlock()
	if ok {
		return c, nil
	}
	t, err := template.Parse(im.Template)
	if err != nil {
		return nil, fmt.Errorf("importer %s template: %w", im.ID, err)
	}
	e, err := validate.Compile(t)
	if err != nil {
		return nil, fmt.Errorf("importer %s template: %w", im.ID, err)
	}
	c = &compiled{tmpl: t, engine: e, keys: t.Keys()}
	for _, col := range t.Columns {
		if col.Unique {
			c.uniqueColumns++
		}
	}
	s.mu.Lock()
	if len(s.engines) > 4096 {
		clear(s.engines)
	}
	s.engines[id] = c
	s.mu.Unlock()
	return c, nil
}

// CreateRequest opens an upload session.
type CreateRequest struct {
	Importer string   `json:"importer"`
	Columns  []string `json:"columns"`
	Source   struct {
		Format    string `json:"format"`
		SizeBytes int64  `json:"size_bytes"`
	} `json:"source"`
	Rows     int64           `json:"rows"`
	User     json.RawMessage `json:"user,omitempty"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
}

// CreateResponse is what the widget needs to send chunks.
type CreateResponse struct {
	ImportID      string `json:"import_id"`
	UploadToken   string `json:"upload_token,omitempty"`
	MaxChunkBytes int64  `json:"max_chunk_bytes"`
	Mode          string `json:"mode"`
}

// Create opens an import for the importer with public key req.Importer.
func (s *Service) Create(ctx context.Context, req CreateRequest) (CreateResponse, error) {
	im, err := s.o.Store.ImporterByKey(ctx, req.Importer)
	if errors.Is(err, store.ErrNotFound) || s.Disabled(req.Importer) {
		return CreateResponse{}, errorf(KindNotFound, "unknown_importer", "no importer has this key")
	}
	if err != nil {
		return CreateResponse{}, err
	}
	c, err := s.engine(im)
	if err != nil {
		return CreateResponse{}, err
	}
	if err := checkCreate(req, im, c.keys, s.o.MaxImportRows); err != nil {
		return CreateResponse{}, err
	}
	if im.Mode == store.ModeE2E && e2e.CheckRecipients(im.Recipients) != nil {
		return CreateResponse{}, errorf(KindInvalid, "no_recipients", "the end-to-end encrypted importer has no valid recipients (public keys) to encrypt to")
	}
	now := s.o.Now()
	rec := store.Import{
		ID: store.NewSortableID("imt_"), OrgID: im.OrgID, ImporterID: im.ID, Status: store.StatusUploading,
		Columns: req.Columns, RowColumns: c.keys, SourceFormat: req.Source.Format, SourceBytes: req.Source.SizeBytes,
		ExpectedRows: req.Rows, CreatedAt: now,
	}
	if im.Mode == store.ModeE2E {
		// The import keeps the keys it is encrypted to: a later rotation of
		// the importer's recipients applies to new imports only.
		rec.Recipients = im.Recipients
	}
	token := ""
	if im.Mode == store.ModeClient {
		// Rows stay in the browser: the import is only logged.
		rec.Status, rec.TokenHash, rec.TokenExpiresAt = store.StatusCompleted, []byte{}, now
	} else {
		key, wrapped, err := s.o.Vault.NewDataKey(ctx, rec.ID)
		if err != nil {
			return CreateResponse{}, err
		}
		rec.WrappedKey = wrapped
		if len(req.User) > 0 || len(req.Metadata) > 0 {
			ctxJSON, _ := json.Marshal(map[string]json.RawMessage{"user": req.User, "metadata": req.Metadata})
			rec.SealedContext = key.Seal(nil, vault.PurposeContext, 0, ctxJSON)
		}
		token = "upt_" + store.RandomToken(tokenBytes)
		rec.TokenHash, rec.TokenExpiresAt = store.HashSecret(token), now.Add(s.o.TokenTTL)
	}
	err = s.o.Store.CreateImport(ctx, rec, importlog.Created{
		ImporterID: im.ID, Mode: importlog.Mode(im.Mode), Format: importlog.Format(req.Source.Format),
		SourceBytes: req.Source.SizeBytes, ExpectedRows: req.Rows, Columns: len(req.Columns)})
	if err != nil {
		return CreateResponse{}, err
	}
	s.o.Logger.InfoContext(ctx, "import created", "import_id", rec.ID, "importer_id", im.ID, "mode", im.Mode,
		"expected_rows", req.Rows, "columns", len(req.Columns))
	return CreateResponse{ImportID: rec.ID, UploadToken: token, MaxChunkBytes: s.o.MaxChunkBytes, Mode: im.Mode}, nil
}

func checkCreate(req CreateRequest, im store.Importer, keys []string, maxImportRows int64) error {
	if len(req.Columns) == 0 {
		return errorf(KindInvalid, "bad_columns", "columns must list at least one template key")
	}
	seen := map[string]bool{}
	for i, k := range req.Columns {
		if !slices.Contains(keys, k) {
			return errorf(KindInvalid, "bad_columns", "columns[%d] is not a key of the importer's template", i)
		}
		if seen[k] {
			return errorf(KindInvalid, "bad_columns", "columns[%d] repeats a key", i)
		}
		seen[k] = true
	}
	if !formats[req.Source.Format] {
		return errorf(KindInvalid, "bad_source", "source.format must be one of %s", formatPattern)
	}
	if req.Source.SizeBytes < 0 || (im.MaxFileBytes > 0 && req.Source.SizeBytes > im.MaxFileBytes) {
		return errorf(tooLarge(req.Source.SizeBytes), "file_too_large", "source.size_bytes must be from 0 to %d", im.MaxFileBytes)
	}
	// Every chunk is checked against the rows announced: the bound on them
	// is what bounds an import, the importer's own when it has one.
	maxRows := maxImportRows
	if im.MaxRows > 0 {
		maxRows = min(maxRows, im.MaxRows)
	}
	if req.Rows < 0 || req.Rows > maxRows {
		return errorf(tooLarge(req.Rows), "too_many_rows", "rows must be from 0 to %d", maxRows)
	}
	if len(req.User)+len(req.Metadata) > maxUserBytes {
		return errorf(KindInvalid, "context_too_large", "user and metadata together must stay under %d bytes", maxUserBytes)
	}
	return nil
}

// authorize loads the import and checks its upload token.
func (s *Service) authorize(ctx context.Context, importID, token string) (store.Import, error) {
	im, err := s.o.Store.ImportByID(ctx, importID)
	if errors.Is(err, store.ErrNotFound) {
		// Same answer as a wrong token: an id alone reveals nothing.
		return im, errorf(KindUnauthorized, "bad_upload_token", "the upload token does not open this import")
	}
	if err != nil {
		return im, err
	}
	if len(im.TokenHash) == 0 || subtle.ConstantTimeCompare(im.TokenHash, store.HashSecret(token)) != 1 {
		return im, errorf(KindUnauthorized, "bad_upload_token", "the upload token does not open this import")
	}
	if s.o.Now().After(im.TokenExpiresAt) {
		return im, errorf(KindUnauthorized, "upload_token_expired", "the upload token has expired; start a new upload")
	}
	return im, nil
}

// ChunkResult answers a stored chunk.
type ChunkResult struct {
	Chunk int `json:"chunk"`
	// Rows is the number of rows stored; RowsSkipped the blank rows dropped.
	Rows           int  `json:"rows"`
	RowsSkipped    int  `json:"rows_skipped,omitempty"`
	RowsWithErrors int  `json:"rows_with_errors"`
	Duplicate      bool `json:"duplicate,omitempty"` // already stored: this was a retry
}

// PutChunk takes chunk n of an import. encoding is the Content-Encoding
// ("gzip" or "" / "identity").
func (s *Service) PutChunk(ctx context.Context, importID, token string, n int, encoding string, body io.Reader) (res ChunkResult, err error) {
	start := s.o.Now()
	defer func() { s.o.Metrics.observeChunk(start, res, err) }()
	im, err := s.uploading(ctx, importID, token, n)
	if err != nil {
		return res, err
	}
	sc := getScratch()
	recycle := true
	defer func() {
		if recycle {
			sc.release()
		}
	}()
	// Nothing is held that the chunk did not reserve first: its body as it
	// arrives, then, before it is inflated, the bound of what it grows to.
	mem := s.memory.hold(ctx)
	defer mem.release()
	raw, err := s.readBody(sc, &budgetReader{r: body, res: mem})
	if err != nil {
		return res, busy(n, err)
	}
	compressed, inflated, err := s.inflatedSize(encoding, raw)
	if err != nil {
		return res, err
	}
	width := len(im.Columns)
	maxRows := s.maxRows(width)
	if err := mem.growTo(chunkCost(int64(len(raw)), inflated, width, maxRows)); err != nil {
		return res, busy(n, err)
	}
	// The JSON is hashed as it is inflated: a retry is recognised by it.
	var sum []byte
	if raw, sum, err = s.inflate(sc, raw, compressed, inflated); err != nil {
		return res, err
	}
	return s.accept(ctx, im, n, sum, sc, &recycle, func() (ChunkBody, error) {
		chunk, err := decodeChunk(raw, width, &sc.dec, maxRows)
		if errors.Is(err, errRowLimit) {
			return chunk, s.tooManyRows(n, maxRows)
		}
		var de *DecodeError
		if errors.As(err, &de) {
			return chunk, errorf(KindInvalid, "malformed_chunk", "chunk %d: %s", n, de.Error())
		}
		return chunk, err
	})
}

// uploading checks chunk number n and the upload token, and loads the
// import, which must still take chunks.
func (s *Service) uploading(ctx context.Context, importID, token string, n int) (store.Import, error) {
	if n < 0 || n >= MaxChunks {
		return store.Import{}, errorf(KindInvalid, "bad_chunk_number", "chunk number must be from 0 to %d", MaxChunks-1)
	}
	im, err := s.authorize(ctx, importID, token)
	if err != nil {
		return im, err
	}
	if im.Status != store.StatusUploading {
		return im, errorf(KindConflict, "import_not_uploading", "the import is %s and takes no more chunks", im.Status)
	}
	if len(im.Recipients) > 0 {
		return im, errorf(KindInvalid, "encryption_required", "this import is end-to-end encrypted: send chunk %d as age ciphertext with first_row and rows", n)
	}
	return im, nil
}

// maxRows is the most rows a chunk of width columns may hold.
func (s *Service) maxRows(width int) int {
	return min(s.o.MaxChunkRows, s.o.MaxChunkCells/max(width, 1))
}

// tooManyRows refuses chunk n for holding more than maxRows rows.
func (s *Service) tooManyRows(n, maxRows int) error {
	if maxRows < s.o.MaxChunkRows {
		return errorf(KindTooLarge, "chunk_too_many_cells", "chunk %d holds more than %d cells (rows × columns); send fewer rows a chunk", n, s.o.MaxChunkCells)
	}
	return errorf(KindTooLarge, "chunk_too_many_rows", "chunk %d holds more than %d rows; send fewer rows a chunk", n, s.o.MaxChunkRows)
}

// accept is the path of chunk n after its body is read, whichever entry it
// came by (PutChunk, PutRows): a retry of a stored chunk (sum is the hash of
// its content) is answered as stored; otherwise decode gives its rows,
// which are validated and stored (or relayed). It clears *recycle when the
// chunk's memory must not go back to the pool.
func (s *Service) accept(ctx context.Context, im store.Import, n int, sum []byte, sc *scratch, recycle *bool,
	decode func() (ChunkBody, error)) (ChunkResult, error) {
	if old, ok, err := s.o.Store.StoredChunk(ctx, im.ID, n); err != nil {
		return ChunkResult{}, err
	} else if ok {
		return retried(old, sum)
	}
	importer, err := s.o.Store.Importer(ctx, im.OrgID, im.ImporterID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && s.Disabled(importer.Key)) {
		return ChunkResult{}, errorf(KindNotFound, "unknown_importer", "the importer of this import was deleted")
	}
	if err != nil {
		return ChunkResult{}, err
	}
	c, err := s.engine(importer)
	if err != nil {
		return ChunkResult{}, err
	}
	chunk, err := decode()
	if err != nil {
		return ChunkResult{}, err
	}
	if im.ExpectedRows >= 0 && chunk.FirstRow+int64(len(chunk.Rows)) > im.ExpectedRows {
		return ChunkResult{}, errorf(KindInvalid, "rows_out_of_range", "chunk %d holds rows past the %d announced", n, im.ExpectedRows)
	}
	// The data key hashes the values of unique columns (it is cached:
	// unwrapped once an import).
	key, err := s.o.Vault.DataKey(ctx, im.ID, im.WrappedKey)
	if err != nil {
		return ChunkResult{}, err
	}
	v := s.validateChunk(c, im.Columns, chunk, key, sc)
	if importer.Mode == store.ModeBypass {
		// Destinations get the rows themselves, and what their code does
		// with them is not ingest's to know: this chunk's memory is left
		// to the garbage collector rather than reused.
		*recycle = false
		return s.relayChunk(ctx, importer, im, n, c, chunk, v, sum)
	}
	return s.storeChunk(ctx, importer, im, n, c, chunk, v, key, sum, sc)
}

// writeBlob stores a sealed chunk. Unlike Bucket.WriteAll it skips the MD5
// and content sniffing, a fifth of the ingest path's cost: AES-GCM already
// authenticates every byte when the chunk is opened.
func writeBlob(ctx context.Context, b *blob.Bucket, key string, sealed []byte) error {
	w, err := b.NewWriter(ctx, key, &blob.WriterOptions{ContentType: "application/octet-stream"})
	if err != nil {
		return err
	}
	if _, err := w.Write(sealed); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

func retried(old store.Chunk, sum []byte) (ChunkResult, error) {
	if !bytes.Equal(old.BodyHash, sum) {
		return ChunkResult{}, errorf(KindConflict, "chunk_conflict", "chunk %d is already stored with different content", old.N)
	}
	return ChunkResult{Chunk: old.N, Rows: old.Rows, RowsSkipped: old.RowsSkipped, RowsWithErrors: old.RowsWithErrors, Duplicate: true}, nil
}

// busy turns a chunk's failure to get its share of the decode memory into
// the refusal the client retries after a while; other errors pass through.
func busy(n int, err error) error {
	if !errors.Is(err, errBusy) {
		return err
	}
	e := errorf(KindBusy, "server_busy", "the server is taking too many chunks at once; send chunk %d again in a moment", n)
	e.RetryAfter = time.Second
	return e
}

// readBody reads the chunk body as sent into sc. The result lives in sc.
func (s *Service) readBody(sc *scratch, body io.Reader) ([]byte, error) {
	raw, err := readAll(sc.body, body, s.o.MaxChunkBytes, nil)
	sc.body = raw
	if errors.Is(err, errBusy) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil, err
	}
	if err != nil {
		return nil, errorf(KindInvalid, "bad_body", "reading the chunk body failed")
	}
	if int64(len(raw)) > s.o.MaxChunkBytes {
		return nil, errorf(KindTooLarge, "chunk_too_large", "a chunk may be at most %d bytes as sent", s.o.MaxChunkBytes)
	}
	return raw, nil
}

// gzipMinSize is a gzip stream's header and trailer, without data.
const gzipMinSize = 18

// inflatedSize tells whether a chunk body is compressed and the size it
// inflates to: what its gzip trailer states. The trailer is the
// client's word, but one that inflate holds it to: a body that inflates to
// more is refused at the byte past the size stated (a single gzip member
// states its size mod 2^32, and MaxInflatedBytes is below that), so a chunk
// stating too much is refused before anything is inflated, and one stating
// too little gets no more than it stated.
func (s *Service) inflatedSize(encoding string, raw []byte) (compressed bool, size int64, err error) {
	switch encoding {
	case "", "identity":
		return false, 0, nil
	case "gzip":
		if len(raw) < gzipMinSize {
			return true, 0, errorf(KindInvalid, "bad_gzip", "the chunk body is not valid gzip")
		}
		size := int64(binary.LittleEndian.Uint32(raw[len(raw)-4:]))
		if size > s.o.MaxInflatedBytes {
			return true, 0, errorf(KindTooLarge, "chunk_too_large", "a chunk may inflate to at most %d bytes", s.o.MaxInflatedBytes)
		}
		return true, size, nil
	}
	return false, 0, errorf(KindUnsupportedEncoding, "bad_encoding", "Content-Encoding must be gzip or identity")
}

// inflate returns the JSON of a chunk body and its SHA-256: raw itself when
// it is not compressed, else raw inflated into sc, which must come to
// exactly the size its gzip trailer states.
func (s *Service) inflate(sc *scratch, raw []byte, compressed bool, size int64) ([]byte, []byte, error) {
	if sc.sha == nil {
		sc.sha = sha256.New()
	}
	sc.sha.Reset()
	if !compressed {
		sc.sha.Write(raw)
		return raw, sc.sha.Sum(nil), nil
	}
	sc.src.Reset(raw)
	var err error
	if sc.gz == nil {
		sc.gz, err = gzip.NewReader(&sc.src)
	} else {
		err = sc.gz.Reset(&sc.src)
	}
	if err != nil {
		return nil, nil, errorf(KindInvalid, "bad_gzip", "the chunk body is not valid gzip")
	}
	// One member only: the size stated is the last member's, so a body of
	// several would inflate past it.
	sc.gz.Multistream(false)
	sc.inflated = slices.Grow(sc.inflated[:0], int(size)+1)
	out, err := readAll(sc.inflated, sc.gz, size, sc.sha)
	sc.inflated = out
	if err != nil {
		return nil, nil, errorf(KindInvalid, "bad_gzip", "the chunk body is not valid gzip")
	}
	if int64(len(out)) > size {
		return nil, nil, errorf(KindTooLarge, "chunk_too_large", "the chunk inflates past the size its gzip trailer states")
	}
	if int64(len(out)) < size || sc.src.Len() > 0 {
		return nil, nil, errorf(KindInvalid, "bad_gzip", "the chunk body must be one gzip member with nothing after it")
	}
	return out, sc.sha.Sum(nil), nil
}

// validated is a chunk after the template engine: normalised rows in
// template column order, their errors, and the unique values to claim.
// Blank rows are not in it: skipped counts them, and src maps each kept
// row to its offset in the chunk as sent (nil when none was dropped).
type validated struct {
	rows    [][]*string
	errs    []rows.StoredError
	claims  []store.Claim
	src     []int
	blanks  []int // offsets of the blank rows in the chunk as sent
	skipped int
}

// sent returns the offset in the chunk as sent of kept row r.
func (v validated) sent(r int) int {
	if v.src == nil {
		return r
	}
	return v.src[r]
}

// blank reports whether every cell of a row is empty after trimming (null,
// "" or only trim-set characters): such rows are dropped, as the widget
// drops them, so that a file's blank lines neither fail required columns
// nor become empty records.
func blank(row []*string) bool {
	for _, cell := range row {
		if cell != nil && template.Trim(*cell) != "" {
			return false
		}
	}
	return true
}

func (s *Service) validateChunk(c *compiled, columns []string, chunk ChunkBody, key *vault.DataKey, sc *scratch) validated {
	t := &sc.val
	width := len(c.keys)
	pos := make([]int, len(columns)) // upload column i → template column pos[i]
	inOrder := true                  // pos[i] == i: rows are in template order already
	for i, k := range columns {
		pos[i] = slices.Index(c.keys, k)
		inOrder = inOrder && pos[i] == i
	}
	u := newChunkClaims(key, len(chunk.Rows)*c.uniqueColumns, sc.slots, sc.claims)
	defer func() { sc.slots, sc.claims = u.slots, u.claims }()
	stream := c.engine.NewStream(u)
	t.ptrs = grow(t.ptrs, len(chunk.Rows)*width)
	t.rows = grow(t.rows, len(chunk.Rows))
	out := t.ptrs
	in := make([]*string, width)
	v := validated{rows: t.rows[:0]}
	var errs []validate.Error
	for sent, row := range chunk.Rows {
		if blank(row) {
			if v.src == nil {
				v.src = make([]int, len(v.rows), len(chunk.Rows))
				for i := range v.src {
					v.src[i] = i
				}
			}
			v.skipped++
			v.blanks = append(v.blanks, sent)
			continue
		}
		r := len(v.rows)
		if v.src != nil {
			v.src = append(v.src, sent)
		}
		cells := row // the engine reads missing trailing cells as empty
		if !inOrder {
			clear(in)
			for i, cell := range row {
				in[pos[i]] = cell
			}
			cells = in
		}
		v.rows = append(v.rows, out[r*width:(r+1)*width:(r+1)*width])
		// Decoded JSON strings are valid UTF-8 (DecodeChunk's contract).
		// Rows are numbered as sent, so that errors and duplicates name
		// the row the client knows.
		claimed := len(u.claims)
		errs = stream.RowValidUTF8(int(chunk.FirstRow)+sent, cells, v.rows[r], errs[:0])
		if len(errs) > 0 {
			// A duplicate found at completion in a row with errors
			// already adds no row with errors.
			for i := claimed; i < len(u.claims); i++ {
				u.claims[i].HadErrors = true
			}
		}
		for _, e := range errs {
			v.errs = append(v.errs, rows.StoredError{Row: r, Col: slices.Index(c.keys, e.Column), Code: e.Code, Params: e.Params})
		}
	}
	v.claims = u.claims
	return v
}

func (s *Service) storeChunk(ctx context.Context, importer store.Importer, im store.Import, n int, c *compiled,
	chunk ChunkBody, v validated, key *vault.DataKey, sum []byte, sc *scratch) (ChunkResult, error) {
	// The chunk is complete now (its claims are checked against the rest
	// of the import when it completes): seal and write it before taking
	// SQLite's single writer, so chunks of one import are sealed in
	// parallel.
	if refusal := refuse(importer, n, c, chunk, v); refusal != nil {
		return ChunkResult{}, s.recordRefusal(ctx, im, n, c, v, refusal)
	}
	sealed, err := s.sealChunk(ctx, im, n, c, v, key, sum, sc)
	if err != nil {
		// A purge that ran meanwhile removes the import's blob prefix,
		// which fails the write: that is the client's conflict, not ours.
		if now, lookErr := s.o.Store.ImportByID(context.WithoutCancel(ctx), im.ID); lookErr == nil && now.Status != store.StatusUploading {
			return ChunkResult{}, errorf(KindConflict, "import_not_uploading", "the import takes no more chunks")
		}
		return ChunkResult{}, err
	}
	res, err := s.recordChunk(ctx, im, sealed, store.Chunk{ImportID: im.ID, N: n, FirstRow: chunk.FirstRow, Rows: len(v.rows),
		RowsSkipped: v.skipped, RowsWithErrors: sealed.rowsWithErrors, ErrorColumns: sealed.errorColumns, BodyHash: sum,
		BlobKey: sealed.blobKey, SealedBytes: sealed.bytes, Claims: v.claims})
	if err != nil || res.Duplicate {
		return res, err
	}
	s.o.Logger.DebugContext(ctx, "chunk stored", "import_id", im.ID, "chunk", n, "rows", len(v.rows), "rows_skipped", v.skipped,
		"rows_with_errors", sealed.rowsWithErrors)
	return ChunkResult{Chunk: n, Rows: len(v.rows), RowsSkipped: v.skipped, RowsWithErrors: sealed.rowsWithErrors}, nil
}

// recordChunk records a sealed chunk in the import, in one transaction; on
// failure, or when a concurrent retry recorded it first (res.Duplicate),
// the blob written is discarded.
func (s *Service) recordChunk(ctx context.Context, im store.Import, sealed sealedChunk, ch store.Chunk) (ChunkResult, error) {
	n, sum := ch.N, ch.BodyHash
	w, err := s.o.Store.BeginChunk(ctx, im.ID)
	if err != nil {
		sealed.discard(ctx, s.o.Bucket)
		if errors.Is(err, store.ErrNotUploading) {
			return ChunkResult{}, errorf(KindConflict, "import_not_uploading", "the import takes no more chunks")
		}
		return ChunkResult{}, err
	}
	defer w.Rollback()
	if old, ok, err := w.Existing(n); err != nil || ok { // ok: a concurrent retry stored it first
		if old.BlobKey != sealed.blobKey {
			sealed.discard(ctx, s.o.Bucket)
		}
		if err != nil {
			return ChunkResult{}, err
		}
		return retried(old, sum)
	}
	err = w.Put(ch)
	if err == nil {
		err = w.Commit()
	}
	if err != nil {
		sealed.discard(ctx, s.o.Bucket)
		if errors.Is(err, store.ErrChunkMismatch) {
			return ChunkResult{}, errorf(KindConflict, "chunk_conflict", "chunk %d is already stored with different content", n)
		}
		return ChunkResult{}, err
	}
	return ChunkResult{Chunk: n, Rows: ch.Rows, RowsSkipped: ch.RowsSkipped, RowsWithErrors: ch.RowsWithErrors}, nil
}

// sealedChunk is a chunk written to the blob store, not yet recorded.
type sealedChunk struct {
	blobKey        string
	bytes          int64
	rowsWithErrors int
	errorColumns   map[string]int
}

// discard removes a sealed blob that will not be recorded: without its chunk
// row it would be unreachable.
func (sc sealedChunk) discard(ctx context.Context, b *blob.Bucket) {
	if sc.blobKey != "" {
		_ = b.Delete(context.WithoutCancel(ctx), sc.blobKey)
	}
}

// refuse returns the invalid_rows error for a chunk with invalid rows when
// the importer does not allow them, and nil otherwise.
func refuse(importer store.Importer, n int, c *compiled, chunk ChunkBody, v validated) *Error {
	if importer.AllowInvalid || len(v.errs) == 0 {
		return nil
	}
	return invalidRows(n, chunk.FirstRow, v, c.keys)
}

// recordRefusal logs a refused chunk in the import log (counts only) and
// returns the refusal.
func (s *Service) recordRefusal(ctx context.Context, im store.Import, n int, c *compiled, v validated, refusal *Error) error {
	bad, _ := summarize(v.errs, c.keys)
	if err := s.o.Store.AppendEvent(ctx, im.OrgID, im.ID, importlog.ChunkRefused{Chunk: n, RowsWithErrors: bad, Reason: importlog.ReasonInvalidRows}); err != nil {
		s.o.Logger.WarnContext(ctx, "record refused chunk", "import_id", im.ID, "chunk", n, "err", err)
	}
	return refusal
}

// sealChunk seals the rows and their errors and writes the blob. The blob
// key holds the body hash, so two different bodies sent for one chunk number
// never overwrite each other.
func (s *Service) sealChunk(ctx context.Context, im store.Import, n int, c *compiled,
	v validated, key *vault.DataKey, sum []byte, sc *scratch) (sealedChunk, error) {
	bad, errCols := summarize(v.errs, c.keys)
	// The rows are encoded after room for the nonce and sealed in place.
	buf := rows.Encode(append(sc.sealed[:0], make([]byte, vault.NonceSize)...), len(c.keys), v.rows, v.errs, v.blanks)
	sealed := key.Seal(slices.Grow(buf, vault.TagSize)[:0], vault.PurposeChunk, int64(n), buf[vault.NonceSize:])
	sc.sealed = sealed
	blobKey := chunkBlobKey(im.ID, n, sum)
	if err := writeBlob(ctx, s.o.Bucket, blobKey, sealed); err != nil {
		return sealedChunk{}, fmt.Errorf("store chunk %d blob: %w", n, err)
	}
	return sealedChunk{blobKey: blobKey, bytes: int64(len(sealed)), rowsWithErrors: bad, errorColumns: errCols}, nil
}

// chunkBlobKey names a chunk's blob under its import's prefix (which a purge
// deletes), by its number and a prefix of its body's hash.
func chunkBlobKey(importID string, n int, sum []byte) string {
	return fmt.Sprintf("imports/%s/%07d-%s", importID, n, hex.EncodeToString(sum[:8]))
}

func summarize(errs []rows.StoredError, keys []string) (rowsWithErrors int, byColumn map[string]int) {
	byColumn = map[string]int{}
	bad := map[int]bool{}
	for _, e := range errs {
		bad[e.Row] = true
		byColumn[keys[e.Col]]++
	}
	return len(bad), byColumn
}

// invalidRows is the refusal of a chunk, its cells named by row as sent.
func invalidRows(n int, firstRow int64, v validated, keys []string) *Error {
	e := errorf(KindInvalidRows, "invalid_rows", "chunk %d has rows that do not pass the template", n)
	errs := v.errs
	slices.SortFunc(errs, func(a, b rows.StoredError) int { return cmp.Or(cmp.Compare(a.Row, b.Row), cmp.Compare(a.Col, b.Col)) })
	for _, se := range errs[:min(len(errs), maxDetails)] {
		e.Details = append(e.Details, rows.CellError{Row: firstRow + int64(v.sent(se.Row)), Column: keys[se.Col], Code: se.Code, Params: se.Params})
	}
	return e
}
