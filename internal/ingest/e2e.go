package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"slices"

	"github.com/intakehq/intake/internal/e2e"
	"github.com/intakehq/intake/internal/store"
	"github.com/intakehq/intake/internal/vault"
)

// EncryptedChunk is what an end-to-end encrypted chunk says of itself in
// the clear: where its rows start and how many it holds. Its body is an
// age file the server cannot open, so these counts are the client's word,
// checked only against the rows the import announced.
type EncryptedChunk struct {
	FirstRow int64
	Rows     int
}

// PutEncryptedChunk takes chunk n of an e2e import: body is the age
// ciphertext of the gzip'd chunk (e2e.Chunk). It is not decoded or
// validated (the browser did that; the server has no key), only bounded
// in size and rows, sealed once more with the import's data key as any
// chunk is (so purging shreds it the same way) and recorded with its counts.
func (s *Service) PutEncryptedChunk(ctx context.Context, importID, token string, n int, meta EncryptedChunk, body io.Reader) (res ChunkResult, err error) {
	start := s.o.Now()
	defer func() { s.o.Metrics.observeChunk(start, res, err) }()
	if n < 0 || n >= MaxChunks {
		return res, errorf(KindInvalid, "bad_chunk_number", "chunk number must be from 0 to %d", MaxChunks-1)
	}
	if meta.FirstRow < 0 || meta.FirstRow > maxFirstRow || meta.Rows < 1 || meta.Rows > s.o.MaxChunkRows {
		return res, errorf(KindInvalid, "bad_chunk_counts", "first_row must be 0 or more and rows from 1 to %d", s.o.MaxChunkRows)
	}
	im, err := s.authorize(ctx, importID, token)
	if err != nil {
		return res, err
	}
	if im.Status != store.StatusUploading {
		return res, errorf(KindConflict, "import_not_uploading", "the import is %s and takes no more chunks", im.Status)
	}
	if len(im.Recipients) == 0 {
		return res, errorf(KindInvalid, "not_encrypted_import", "this import is not end-to-end encrypted: send chunk %d as JSON", n)
	}
	if im.ExpectedRows >= 0 && meta.FirstRow+int64(meta.Rows) > im.ExpectedRows {
		return res, errorf(KindInvalid, "rows_out_of_range", "chunk %d holds rows past the %d announced", n, im.ExpectedRows)
	}
	sc := getScratch()
	defer sc.release()
	mem := s.memory.hold(ctx)
	defer mem.release()
	raw, err := s.readBody(sc, &budgetReader{r: body, res: mem})
	if err != nil {
		return res, busy(n, err)
	}
	// The body is held twice: as sent and sealed.
	if err := mem.growTo(2*int64(len(raw)) + vault.NonceSize + vault.TagSize); err != nil {
		return res, busy(n, err)
	}
	// Refusing what is not an age file keeps a client bug from storing
	// plaintext where the team was promised ciphertext.
	if !bytes.HasPrefix(raw, []byte(e2e.Header)) {
		return res, errorf(KindInvalid, "not_age_ciphertext", "chunk %d is not a binary age file", n)
	}
	// The counts are part of what a retry must repeat.
	h := sha256.New()
	h.Write(raw)
	h.Write(binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, uint64(meta.FirstRow)), uint64(meta.Rows)))
	sum := h.Sum(nil)
	if old, ok, err := s.o.Store.StoredChunk(ctx, importID, n); err != nil {
		return res, err
	} else if ok {
		return retried(old, sum)
	}
	importer, err := s.o.Store.Importer(ctx, im.OrgID, im.ImporterID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && s.Disabled(importer.Key)) {
		return res, errorf(KindNotFound, "unknown_importer", "the importer of this import was deleted")
	}
	if err != nil {
		return res, err
	}
	key, err := s.o.Vault.DataKey(ctx, im.ID, im.WrappedKey)
	if err != nil {
		return res, err
	}
	buf := append(append(sc.sealed[:0], make([]byte, vault.NonceSize)...), raw...)
	sealed := key.Seal(slices.Grow(buf, vault.TagSize)[:0], vault.PurposeChunk, int64(n), buf[vault.NonceSize:])
	sc.sealed = sealed
	blobKey := chunkBlobKey(im.ID, n, sum)
	if err := writeBlob(ctx, s.o.Bucket, blobKey, sealed); err != nil {
		return res, err
	}
	res, err = s.recordChunk(ctx, im, sealedChunk{blobKey: blobKey, bytes: int64(len(sealed))}, store.Chunk{ImportID: im.ID, N: n,
		FirstRow: meta.FirstRow, Rows: meta.Rows, ErrorColumns: map[string]int{}, BodyHash: sum, BlobKey: blobKey, SealedBytes: int64(len(sealed))})
	if err != nil || res.Duplicate {
		return res, err
	}
	s.o.Logger.DebugContext(ctx, "encrypted chunk stored", "import_id", im.ID, "chunk", n, "rows", meta.Rows, "bytes", len(raw))
	return res, nil
}
