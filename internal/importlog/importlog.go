// Package importlog defines the long-lived, value-free events of an import.
// Every event is a struct whose fields are ids, counts, enums and times: there
// is no string field that a cell value, a file name, an IP address or a user
// agent could travel in. A test walks every event type by reflection and
// fails on any field of a free-text kind.
package importlog

import (
	"encoding/json"
	"fmt"
	"time"
)

// Event is one import-log entry. The unexported method closes the set to the
// types declared here.
type Event interface {
	Kind() Kind
	event()
}

// Kind names an event type.
type Kind string

// The event kinds.
const (
	KindCreated      Kind = "import.created"
	KindChunkStored  Kind = "chunk.stored"
	KindChunkRefused Kind = "chunk.refused"
	KindCompleted    Kind = "import.completed"
	KindFailed       Kind = "import.failed"
	KindDelivered    Kind = "delivery.succeeded"
	KindDeliveryFail Kind = "delivery.failed"
	KindPurged       Kind = "import.purged"
)

// Format is the declared format of the source file (an enum, checked at
// upload creation).
type Format string

// Mode is the importer's mode at the time of the import.
type Mode string

// Reason says why something failed or was purged (an enum).
type Reason string

// Reasons.
const (
	ReasonInvalidRows Reason = "invalid_rows"
	ReasonExpired     Reason = "expired"
	ReasonRequested   Reason = "requested"
	ReasonOrgWide     Reason = "org_wide"
	ReasonImporter    Reason = "importer_deleted"
)

// Created: the upload session was opened.
type Created struct {
	ImporterID   string `json:"importer_id"`
	Mode         Mode   `json:"mode"`
	Format       Format `json:"format"`
	SourceBytes  int64  `json:"source_bytes"`
	ExpectedRows int64  `json:"expected_rows"`
	Columns      int    `json:"columns"`
}

// ChunkStored: a chunk was sealed and stored (or relayed, in bypass mode).
type ChunkStored struct {
	Chunk          int `json:"chunk"`
	Rows           int `json:"rows"`
	RowsWithErrors int `json:"rows_with_errors"`
	// RowsSkipped counts the blank rows dropped from the chunk as sent.
	RowsSkipped int   `json:"rows_skipped,omitempty"`
	SealedBytes int64 `json:"sealed_bytes"`
}

// ChunkRefused: a chunk was refused because rows failed validation.
type ChunkRefused struct {
	Chunk          int    `json:"chunk"`
	RowsWithErrors int    `json:"rows_with_errors"`
	Reason         Reason `json:"reason"`
}

// Completed: every chunk arrived and the import was finalised.
type Completed struct {
	Chunks int `json:"chunks"`
	// Rows is the number of rows stored (or relayed).
	Rows           int64 `json:"rows"`
	RowsWithErrors int64 `json:"rows_with_errors"`
	// RowsSkipped counts the blank rows (every cell empty after trimming)
	// left out of the import: by the widget before sending plus by the
	// server from the chunks. A count, never what they held.
	RowsSkipped int64 `json:"rows_skipped"`
}

// Failed: the import was abandoned.
type Failed struct {
	Reason Reason `json:"reason"`
}

// Delivered: every batch reached one destination.
type Delivered struct {
	DestinationID string `json:"destination_id"`
	Batches       int    `json:"batches"`
	Rows          int64  `json:"rows"`
}

// DeliveryFailed: a destination gave up (retries exhausted or disabled).
type DeliveryFailed struct {
	DestinationID string `json:"destination_id"`
	Attempts      int    `json:"attempts"`
	StatusCode    int    `json:"status_code,omitempty"`
}

// Purged is a deletion receipt: what was destroyed, why, and the hash of the
// destroyed wrapped key. PrevHash chains the receipts of an organization.
type Purged struct {
	Reason         Reason    `json:"reason"`
	Chunks         int       `json:"chunks"`
	BytesDestroyed int64     `json:"bytes_destroyed"`
	KeyHash        HexDigest `json:"key_sha256"`
	PrevHash       HexDigest `json:"prev_sha256"`
	At             time.Time `json:"at"`
}

// HexDigest is a SHA-256 digest, hex-encoded: an id, not free text.
type HexDigest string

func (Created) Kind() Kind        { return KindCreated }
func (ChunkStored) Kind() Kind    { return KindChunkStored }
func (ChunkRefused) Kind() Kind   { return KindChunkRefused }
func (Completed) Kind() Kind      { return KindCompleted }
func (Failed) Kind() Kind         { return KindFailed }
func (Delivered) Kind() Kind      { return KindDelivered }
func (DeliveryFailed) Kind() Kind { return KindDeliveryFail }
func (Purged) Kind() Kind         { return KindPurged }

func (Created) event()        {}
func (ChunkStored) event()    {}
func (ChunkRefused) event()   {}
func (Completed) event()      {}
func (Failed) event()         {}
func (Delivered) event()      {}
func (DeliveryFailed) event() {}
func (Purged) event()         {}

// Encode serialises an event's fields for storage.
func Encode(e Event) ([]byte, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encode %s event: %w", e.Kind(), err)
	}
	return b, nil
}

// All lists one zero value of every event type (for the reflection test and
// for documentation tools).
func All() []Event {
	return []Event{Created{}, ChunkStored{}, ChunkRefused{}, Completed{}, Failed{}, Delivered{}, DeliveryFailed{}, Purged{}}
}
