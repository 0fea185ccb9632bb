package rows

// The file formats rows leave Intake in, for a download or an S3 delivery:
// streaming, a chunk of rows in, bytes out, nothing buffered beyond one
// chunk and nothing written to disk (an XLSX writer that spills rows to a
// temporary file would leave plaintext behind). CSV and XLSX cells that a
// spreadsheet would run as a formula are escaped (see NeedsNeutralizing);
// JSON Lines and Parquet, read by programs, keep every value as it is. A
// null cell and an empty string stay apart in every format.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Format is a file format rows are written in.
type Format string

// The formats rows are written in. Downloads offer CSV, XLSX and JSON
// Lines (ParseFormat); S3 destinations CSV, JSON Lines and Parquet.
const (
	CSV     Format = "csv"
	XLSX    Format = "xlsx"
	JSONL   Format = "jsonl"
	Parquet Format = "parquet"
)

// Ext is the file name extension of f.
func (f Format) Ext() string { return string(f) }

// ParseFormat checks a download's format name from a request.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case CSV, XLSX, JSONL:
		return f, nil
	}
	return "", fmt.Errorf("format must be csv, xlsx or jsonl")
}

// ContentType is the media type a response in f carries.
func (f Format) ContentType() string {
	switch f {
	case XLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case JSONL:
		return "application/jsonl; charset=utf-8"
	case Parquet:
		return "application/vnd.apache.parquet"
	}
	return "text/csv; charset=utf-8"
}

// RowWriter receives rows chunk by chunk; Close finishes the file (the XLSX
// directory, buffered bytes) and must be called once the last rows are in.
type RowWriter interface {
	WriteRows(rows [][]*string) error
	Close() error
}

// NewWriter returns the writer of format f onto w; it writes the header
// (CSV, XLSX) at once. Every download and every S3 object is written by
// one of these, so a format has one writer.
func NewWriter(f Format, w io.Writer, columns []string) (RowWriter, error) {
	switch f {
	case CSV:
		return newCSV(w, columns)
	case XLSX:
		return newXLSX(w, columns)
	case JSONL:
		return newJSONL(w, columns), nil
	case Parquet:
		return newParquet(w, columns), nil
	}
	return nil, fmt.Errorf("unknown format %q", f)
}

// Source is what Serve reads: rows, chunk by chunk, in order.
// *Export is one.
type Source interface {
	Each(ctx context.Context, fn func(rows [][]*string) error) error
}

// Serve streams src to an HTTP response as an attachment named name.ext.
// Open the source (and answer 404/410) before calling it: once the first
// byte is out, a failure can only abort the connection, which Serve does (so
// the client sees a broken download rather than a short file that looks
// whole), after logging the failure with the import's id and no value.
func Serve(w http.ResponseWriter, r *http.Request, log *slog.Logger, f Format, name string, columns []string, src Source) {
	h := w.Header()
	h.Set("Content-Type", f.ContentType())
	filename := name + "." + string(f)
	h.Set("Content-Disposition", ContentDisposition(filename))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if err := Write(r.Context(), w, f, columns, src); err != nil {
		log.ErrorContext(r.Context(), "download failed", "name", name, "format", string(f), "err", err)
		panic(http.ErrAbortHandler)
	}
}

// Write streams every row of src to w in format f.
func Write(ctx context.Context, w io.Writer, f Format, columns []string, src Source) error {
	rw, err := NewWriter(f, w, columns)
	if err != nil {
		return err
	}
	if err := src.Each(ctx, rw.WriteRows); err != nil {
		return err
	}
	return rw.Close()
}

// ContentDisposition is the header value that makes a response a download
// named filename (RFC 6266): an ASCII fallback as a quoted-string for old
// clients, then filename* in UTF-8 (RFC 8187) for the rest. It is written
// here rather than with mime.FormatMediaType, which emits one form or the
// other, never both; the test reads it back with mime.ParseMediaType. Control
// characters become "_" in both forms, and the fallback keeps only
// printable ASCII without the quote and backslash (which a quoted-string
// would need escaped, and which clients unescape inconsistently) or a
// percent sign (which some decode).
func ContentDisposition(filename string) string {
	var ascii, ext strings.Builder
	for _, r := range filename {
		if r < 0x20 || r == 0x7f || unicode.IsControl(r) {
			r = '_'
		}
		switch {
		case r > 0x7e || r == '"' || r == '\\' || r == '%':
			ascii.WriteByte('_')
		default:
			ascii.WriteRune(r)
		}
		var buf [utf8.UTFMax]byte
		for _, b := range buf[:utf8.EncodeRune(buf[:], r)] {
			if isAttrChar(b) {
				ext.WriteByte(b)
			} else {
				fmt.Fprintf(&ext, "%%%02X", b)
			}
		}
	}
	return `attachment; filename="` + ascii.String() + `"; filename*=UTF-8''` + ext.String()
}

// isAttrChar reports whether b may stand unencoded in an RFC 8187 value
// (attr-char: ALPHA, DIGIT and "!#$&+-.^_`|~").
func isAttrChar(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || strings.IndexByte("!#$&+-.^_`|~", b) >= 0
}
