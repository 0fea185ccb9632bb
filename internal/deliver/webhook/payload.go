package webhook

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/intakehq/intake/internal/deliver"
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
	imp  deliver.Import
	keys [][]byte // `"key":` for each column
	head []byte   // `"import_id":…,"importer":…,`
	meta []byte   // the metadata value
}

// NewEncoder prepares payloads for imp. Metadata that is not valid JSON is
// sent as null rather than corrupting every payload.
func NewEncoder(imp deliver.Import) *Encoder {
	e := &Encoder{imp: imp}
	for _, c := range imp.Columns {
		k := appendString(nil, c)
		e.keys = append(e.keys, append(k, ':'))
	}
	e.head = append(e.head, `"import_id":`...)
	e.head = appendString(e.head, imp.ID)
	e.head = append(e.head, `,"importer":`...)
	e.head = appendString(e.head, imp.Importer)
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
func (e *Encoder) AppendBatch(dst []byte, b deliver.Batch) []byte {
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
		dst = append(dst, '{')
		for j, key := range e.keys {
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, key...)
			if j < len(row) && row[j] != nil {
				dst = appendString(dst, *row[j])
			} else {
				dst = append(dst, "null"...)
			}
		}
		dst = append(dst, '}')
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
	dst = appendString(dst, importer)
	dst = append(dst, `,"destination_id":`...)
	dst = appendString(dst, destinationID)
	return append(dst, '}')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD, as
// encoding/json does; U+2028 and U+2029 are escaped so the payload is also
// safe to embed in JavaScript.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
