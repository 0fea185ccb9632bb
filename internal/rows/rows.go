// Package rows owns an import's rows at rest and every read of them in the
// clear: the binary format a chunk's rows are sealed in (Encode, the only
// writer; ingest calls it), pages of rows for the API and the dashboard,
// full reads for downloads, batches for deliveries, the host page's
// metadata, and one writer per file format (CSV, JSON Lines, XLSX,
// Parquet) that downloads and S3 deliveries share, so that a file reads
// the same whichever way it left.
//
// rows decrypts only for a caller that already holds the right to read
// (an organization's member or API key, a delivery of the import): it
// never checks that right itself beyond scoping by organization, and it
// never logs, nor puts a cell value in an error. It imports nothing of the
// stages after it (delivery, retention) nor of the one before (ingest).
package rows

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"gocloud.dev/blob"

	"github.com/intakehq/intake/internal/store"
	"github.com/intakehq/intake/internal/vault"
)

// Options configure a Reader. Every field is required.
type Options struct {
	Store  *store.Store
	Vault  *vault.Vault
	Bucket *blob.Bucket
}

// Reader decrypts stored rows for an authorised reader.
type Reader struct {
	store  *store.Store
	vault  *vault.Vault
	bucket *blob.Bucket
}

// New returns a Reader.
func New(o Options) *Reader {
	return &Reader{store: o.Store, vault: o.Vault, bucket: o.Bucket}
}

// ErrUnreadable means the import's rows are gone (purged) or never stored.
var ErrUnreadable = errors.New("the import's rows are not stored")

// CellError is a validation error of one cell, without the value.
type CellError struct {
	Row    int64             `json:"row"`
	Column string            `json:"column"`
	Code   string            `json:"code"`
	Params map[string]string `json:"params,omitempty"`
}

// Metadata opens the import's sealed context and returns the metadata the
// host page attached, or nil when it attached none.
func (r *Reader) Metadata(ctx context.Context, im store.Import) (json.RawMessage, error) {
	if len(im.SealedContext) == 0 {
		return nil, nil
	}
	key, err := r.vault.DataKey(ctx, im.ID, im.WrappedKey)
	if err != nil {
		return nil, err
	}
	plain, err := key.Open(nil, vault.PurposeContext, 0, im.SealedContext)
	if err != nil {
		return nil, fmt.Errorf("import %s context: %w", im.ID, err)
	}
	var c struct {
		Metadata json.RawMessage `json:"metadata"`
	}
	if err := json.Unmarshal(plain, &c); err != nil {
		return nil, fmt.Errorf("import %s context: %w", im.ID, err)
	}
	return c.Metadata, nil
}
