package webhook

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strconv"

	"github.com/intakehq/intake/internal/delivery/destination"
	"github.com/intakehq/intake/internal/rows"
)

// Event types, sent in each payload's "type" field.
const (
	TypeBatch     = "import.batch"
	TypeCompleted = "import.completed"
	TypeTest      = "destination.test"
)

// Encoder writes webhook payloads for one import. It quotes the column keys
// once, then appends each batch straight into a reusable buffer: a 1,000-row
// batch is encoded without a map, a reflect call or a per-cell allocation.
type Encoder struct {
	rows *rows.RowEncoder
	head []byte // `"import_id":…,"importer":…`
	meta []byte // the metadata value
}

// NewEncoder prepares payloads for imp. Metadata that is not valid JSON is
// sent as null rather than corrupting every payload.
func NewEncoder(imp destination.Import) *Encoder {
	e := &Encoder{rows: rows.NewRowEncoder(imp.Columns)}
	e.head = append(e.head, `"import_id":`...)
	e.head = rows.AppendJSONString(e.head, imp.ID)
	e.head = append(e.head, `,"importer":`...)
	e.head = rows.AppendJSONString(e.head, imp.Importer)
	e.meta = []byte("null")
	if len(imp.Metadata) > 0 && json.Valid(imp.Metadata) {
		e.meta = imp.Metadata
	}
	return e
}

// AppendBatch appends the payload of one batch to dst:
//
//	{"type":"import.batch","import_id":…,"importer":…,
//	 "batch":{"index":0,"count":2,"first_row":0,"rows":[{"email":"…","name":null},…]},
//	 "metadata":{…}}
//
// Rows are objects keyed by the template's column keys; a nil cell is null,
// a cell beyond the columns is dropped, a missing one is null.
//
// An end-to-end encrypted import's batch is its envelope (docs/e2e.md): the
// batch without rows, and "ciphertext", the base64 age file of its rows.
func (e *Encoder) AppendBatch(dst []byte, b rows.Batch) []byte {
	if b.Ciphertext != nil {
		dst = append(dst, `{"type":"`+TypeBatch+`",`...)
		dst = append(dst, e.head...)
		dst = append(dst, `,"batch":{"index":`...)
		dst = strconv.AppendInt(dst, int64(b.Index), 10)
		dst = append(dst, `,"count":`...)
		dst = strconv.AppendInt(dst, int64(b.Count), 10)
		dst = append(dst, `,"first_row":`...)
		dst = strconv.AppendInt(dst, int64(b.FirstRow), 10)
		dst = append(dst, `},"ciphertext":"`...)
		dst = base64.StdEncoding.AppendEncode(dst, b.Ciphertext)
		dst = append(dst, `","metadata":`...)
		dst = append(dst, e.meta...)
		return append(dst, '}')
	}
	dst = append(dst, `{"type":"`+TypeBatch+`",`...)
	dst = append(dst, e.head...)
	dst = append(dst, `,"batch":{"index":`...)
	dst = strconv.AppendInt(dst, int64(b.Index), 10)
	dst = append(dst, `,"count":`...)
	dst = strconv.AppendInt(dst, int64(len(b.Rows)), 10)
	dst = append(dst, `,"first_row":`...)
	dst = strconv.AppendInt(dst, int64(b.FirstRow), 10)
	dst = append(dst, `,"rows":[`...)
	for i, row := range b.Rows {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = e.rows.AppendRow(dst, row)
	}
	dst = append(dst, `]},"metadata":`...)
	dst = append(dst, e.meta...)
	return append(dst, '}')
}

// AppendCompleted appends the final event of a delivery, sent once every
// batch was acknowledged: {"type":"import.completed","import_id":…,
// "importer":…,"rows":N,"batches":M,"metadata":…}.
func (e *Encoder) AppendCompleted(dst []byte, rows, batches int) []byte {
	dst = append(dst, `{"type":"`+TypeCompleted+`",`...)
	dst = append(dst, e.head...)
	dst = append(dst, `,"rows":`...)
	dst = strconv.AppendInt(dst, int64(rows), 10)
	dst = append(dst, `,"batches":`...)
	dst = strconv.AppendInt(dst, int64(batches), 10)
	dst = append(dst, `,"metadata":`...)
	dst = append(dst, e.meta...)
	return append(dst, '}')
}

// TestPayload is the body of the dashboard's "send a test event": it names
// the importer and destination and carries no row.
func TestPayload(importer, destinationID string) []byte {
	dst := []byte(`{"type":"` + TypeTest + `","importer":`)
	dst = rows.AppendJSONString(dst, importer)
	dst = append(dst, `,"destination_id":`...)
	dst = rows.AppendJSONString(dst, destinationID)
	return append(dst, '}')
}

// TestMessage is the dashboard's "send a test event" for a destination:
// a fresh webhook-id (a test is never deduplicated) and TestPayload.
func TestMessage(importer, destinationID string) Message {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return Message{ID: "msg_test_" + hex.EncodeToString(b), Batch: -1, Body: TestPayload(importer, destinationID)}
}
