package ingest

import (
	"fmt"
	"time"

	"github.com/intakehq/intake/internal/rows"
)

// Kind classifies an Error for the API's status mapping.
type Kind int

// The kinds of client error.
const (
	KindInvalid Kind = iota + 1
	KindInvalidRows
	KindNotFound
	KindUnauthorized
	KindConflict
	KindTooLarge
	KindUnsupportedEncoding
	KindUpstream // a bypass destination refused the rows
	// KindBusy: the server has no memory to spare for the chunk right now;
	// the same chunk may be sent again after RetryAfter.
	KindBusy
)

// Error is a client error with a stable code and a message made from the
// rule, never from a value.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	// Details lists refused cells (invalid_rows).
	Details []rows.CellError
	// RetryAfter, when set, is how long the client should wait before
	// sending the same request again (KindBusy).
	RetryAfter time.Duration
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// tooLarge is the kind of a refused announced size or count: a negative
// one is malformed (400), one above its bound asks for more than Intake
// takes (413, as a chunk over its bounds is answered).
func tooLarge(n int64) Kind {
	if n < 0 {
		return KindInvalid
	}
	return KindTooLarge
}

func errorf(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}
