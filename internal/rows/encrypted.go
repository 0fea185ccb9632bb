package rows

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/intakehq/intake/internal/e2e"
	"github.com/intakehq/intake/internal/store"
	"github.com/intakehq/intake/internal/vault"
)

// Encrypted tells whether the import is end-to-end encrypted: its chunks
// hold age ciphertext the server cannot open, read with Ciphertexts, not
// Each.
func (e *Export) Encrypted() bool { return len(e.im.Recipients) > 0 }

// Ciphertexts calls fn with every chunk of an end-to-end encrypted import
// and its age ciphertext, in row order: the at-rest seal (the import's data
// key) is removed, the browser's encryption is not, since the server holds
// no key to it.
func (e *Export) Ciphertexts(ctx context.Context, fn func(c store.Chunk, ciphertext []byte) error) error {
	if !e.Encrypted() {
		return fmt.Errorf("import %s is not end-to-end encrypted: %w", e.im.ID, ErrUnreadable)
	}
	if len(e.chunks) == 0 {
		return nil
	}
	key, err := e.r.vault.DataKey(ctx, e.im.ID, e.im.WrappedKey)
	if err != nil {
		return err
	}
	var sealed, plain []byte
	for _, c := range e.chunks {
		br, err := e.r.bucket.NewReader(ctx, c.BlobKey, nil)
		if err != nil {
			return fmt.Errorf("read chunk %d: %w", c.N, err)
		}
		sealed, err = io.ReadAll(br)
		br.Close()
		if err != nil {
			return fmt.Errorf("read chunk %d: %w", c.N, err)
		}
		if plain, err = key.Open(plain[:0], vault.PurposeChunk, int64(c.N), sealed); err != nil {
			return fmt.Errorf("open chunk %d: %w", c.N, err)
		}
		if err := fn(c, plain); err != nil {
			return err
		}
	}
	return nil
}

// BundleName is the file name of an encrypted import's download.
func BundleName(importID string) string { return importID + ".age.jsonl" }

// ServeBundle answers a download of an end-to-end encrypted import: the
// .age bundle, one JSON line (e2e.BundleEntry) per chunk with its age
// ciphertext in base64, which intake decrypt reads (docs/e2e.md).
func ServeBundle(w http.ResponseWriter, r *http.Request, log *slog.Logger, e *Export) {
	h := w.Header()
	h.Set("Content-Type", "application/jsonl; charset=utf-8")
	h.Set("Content-Disposition", ContentDisposition(BundleName(e.im.ID)))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if err := WriteBundle(r.Context(), w, e); err != nil {
		log.ErrorContext(r.Context(), "download failed", "name", e.im.ID, "format", "age", "err", err)
		panic(http.ErrAbortHandler)
	}
}

// WriteBundle writes the .age bundle of e to w.
func WriteBundle(ctx context.Context, w io.Writer, e *Export) error {
	enc := json.NewEncoder(w)
	return e.Ciphertexts(ctx, func(c store.Chunk, ct []byte) error {
		return enc.Encode(e2e.BundleEntry{ImportID: e.im.ID, Chunk: c.N, FirstRow: c.FirstRow, Rows: c.Rows, Ciphertext: ct})
	})
}
