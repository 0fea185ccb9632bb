// Package parse turns an uploaded file into rows of strings exactly as the
// widget does in the browser (web/widget/src/parse, written down in
// docs/parsing.md), so that a file sent by a program is read the same way a
// person's upload is: same rows, same detected encoding, delimiter and sheet,
// same blank rows dropped. It has one job: bytes in, rows out, streaming, its
// memory flat in the file's size. Choosing the header row stays with the
// caller (mapping.DetectHeaderRow), as it does in the widget.
//
// It never puts a cell value in an error: errors name what was wrong (a
// limit, a format, a position at most), never what a cell held.
//
// Two readers are written here rather than taken from a library, for parity
// with the widget, which is the authority on what a file means:
//
//   - CSV: encoding/csv is not Papa Parse. It turns a CRLF inside quotes into
//     LF, refuses a bare quote (or, with LazyQuotes, reads it differently),
//     trims nothing after a closing quote, and knows no "sep=" line or one
//     line break per file. csv.go follows Papa Parse 5.7's parser step by
//     step instead; csv_test.go holds it to encoding/csv where their
//     semantics overlap (well-formed RFC 4180 input without CR in quotes).
//   - XLSX: excelize's streaming row reader returns display strings without
//     each cell's type and style, so a date serial cannot be told from a
//     number by the widget's rules (docs/parsing.md, "Dates"); its OpenReader
//     reads the whole file into memory, and it inflates sheets larger than
//     16 MB into the temporary directory, in plain text, which Intake's
//     encryption at rest forbids. xlsx.go reads the ZIP with archive/zip and
//     scans the XML with a small scanner that follows the widget's (xml.ts):
//     no DTD, only the predefined entities, bounded depth and markup.
//     xml_test.go holds it to encoding/xml; the parity test to the widget.
package parse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Options are what a caller may force; zero values mean "detect as the
// widget does".
type Options struct {
	// Sheet of an XLSX file: its name, or "#N" for the N-th sheet (1-based);
	// "" = the first sheet that has a row, as the widget picks.
	Sheet string
	// Delimiter of a CSV file: "" = detect; else one of "," ";" "\t" "|".
	Delimiter string
	// Encoding of a CSV file: "" = detect; else a label of the widget's
	// encoding picker (Encodings).
	Encoding string
	// ValidUTF8 tells that the caller has checked every byte of the file
	// to be valid UTF-8 (with a UTF8Check as it arrived): encoding
	// detection then skips its own reading of the whole file. Never set it
	// for a file not checked so, which would be read as UTF-8 where the
	// widget falls back to Windows-1252.
	ValidUTF8 bool
	// Limits bound the work one file may cost; zero fields take defaults.
	Limits Limits
}

// Limits bound what one file may cost. A zero field takes its default
// (DefaultLimits); a file past a limit is refused, never read in part.
type Limits struct {
	// MaxBytes is the size of the file (default 1 GiB).
	MaxBytes int64
	// MaxCells is the cells of one XLSX sheet, blank cells left of a written
	// one included (default 32,000,000, the widget's bound). Delimited rows
	// are streamed and not counted.
	MaxCells int64
	// MaxCellBytes is the UTF-8 bytes of one cell or shared string (default
	// 1 MiB; the widget's bound is 1,048,576 UTF-16 code units of XLSX text,
	// the same for ASCII; Excel writes at most 32,767 characters).
	MaxCellBytes int64
	// MaxColumns is the columns of one row (default 16,384, Excel's XFD).
	MaxColumns int64
}

// DefaultLimits are the limits a zero Limits field takes.
var DefaultLimits = Limits{MaxBytes: 1 << 30, MaxCells: 32_000_000, MaxCellBytes: 1 << 20, MaxColumns: 16_384}

func (l Limits) withDefaults() Limits {
	pick := func(v, d int64) int64 {
		if v > 0 {
			return v
		}
		return d
	}
	return Limits{
		MaxBytes:     pick(l.MaxBytes, DefaultLimits.MaxBytes),
		MaxCells:     pick(l.MaxCells, DefaultLimits.MaxCells),
		MaxCellBytes: pick(l.MaxCellBytes, DefaultLimits.MaxCellBytes),
		MaxColumns:   pick(l.MaxColumns, DefaultLimits.MaxColumns),
	}
}

// Settings are what was detected or forced, reported back to the caller.
type Settings struct {
	// Format is "csv" (also TSV and other delimited text) or "xlsx".
	Format string
	// Delimiter and Encoding of a delimited file (Encoding is a WHATWG
	// label such as "utf-8" or "windows-1252").
	Delimiter string
	Encoding  string
	// Linebreak of a delimited file: "\r\n", "\n" or "\r".
	Linebreak string
	// Sheet is the name of the XLSX sheet read; Sheets every worksheet's
	// name in workbook order.
	Sheet  string
	Sheets []string
}

// Reader yields the records of a file, header rows included: choosing the
// header row stays with the caller (mapping.DetectHeaderRow).
//
// Blank rows (every cell empty after trimming) are dropped by the Reader
// itself, as the widget's parser drops them, and counted by Skipped; the
// empty text after a final line break, and blank rows below an XLSX sheet's
// last row, are no rows at all and are not counted (docs/parsing.md).
type Reader interface {
	Settings() Settings
	// Next returns the next record; io.EOF at the end. The record's slice
	// is valid until the next call (the reader may reuse it); its strings
	// are the caller's to keep.
	Next() ([]string, error)
	// Skipped is the number of blank rows dropped so far (all of them once
	// Next has returned io.EOF): the widget's rows_skipped.
	Skipped() int64
	Close() error
}

// Errors a caller can branch on; every error Open or Next returns wraps one
// of them (errors.Is), with a message that names no cell value. Code gives
// the widget's error code for each, so both show the same message.
var (
	ErrTooLarge          = errors.New("the file is larger than allowed")
	ErrTooMuchData       = errors.New("the file holds more data than allowed")
	ErrTooManyColumns    = errors.New("a row has more columns than allowed")
	ErrBomb              = errors.New("the file inflates beyond the allowed ratio")
	ErrUnsupportedFormat = errors.New("the file format is not supported")
	ErrNotWorkbook       = errors.New("the file is not a readable workbook")
	ErrEncrypted         = errors.New("the file is encrypted or password protected")
	ErrNoSheets          = errors.New("the workbook has no worksheet")
	ErrNoSuchSheet       = errors.New("the workbook has no such sheet")
	ErrEmpty             = errors.New("the file has no rows")
	ErrBinary            = errors.New("the file is not text")
	ErrBadOption         = errors.New("invalid parse option")
)

// Code is the widget's error code for err (the key of its translated
// message), or "" for an error of no kind listed here.
func Code(err error) string {
	for _, c := range []struct {
		err  error
		code string
	}{
		{ErrTooLarge, "too_large"}, {ErrTooMuchData, "too_much_data"}, {ErrTooManyColumns, "too_many_columns"},
		{ErrBomb, "zip_bomb"}, {ErrUnsupportedFormat, "unsupported_format"}, {ErrNotWorkbook, "not_a_workbook"},
		{ErrEncrypted, "password_protected"}, {ErrNoSheets, "no_sheets"}, {ErrNoSuchSheet, "no_sheets"},
		{ErrEmpty, "empty_file"}, {ErrBinary, "binary_file"},
	} {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return ""
}

// Delimiters a caller may force.
var Delimiters = []string{",", ";", "\t", "|"}

// Open sniffs the format from the content (and name as a hint, as the
// widget does) and returns a streaming reader. r is read in place; nothing
// of it is copied but what the reader holds at a time.
func Open(r io.ReaderAt, size int64, name string, opts Options) (Reader, error) {
	limits := opts.Limits.withDefaults()
	if size > limits.MaxBytes {
		return nil, fmt.Errorf("%w (%d bytes, limit %d)", ErrTooLarge, size, limits.MaxBytes)
	}
	if size == 0 {
		return nil, ErrEmpty
	}
	if opts.Delimiter != "" && !contains(Delimiters, opts.Delimiter) {
		return nil, fmt.Errorf("%w: delimiter must be one of , ; tab |", ErrBadOption)
	}
	head := make([]byte, 8)
	n, err := r.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read the file's start: %w", err)
	}
	format, err := formatOf(name, head[:n])
	if err != nil {
		return nil, err
	}
	switch format {
	case "xlsx":
		return openXLSX(r, size, opts.Sheet, limits)
	case "tsv":
		if opts.Delimiter == "" {
			opts.Delimiter = "\t"
		}
	}
	return openDelimited(r, size, opts.Delimiter, opts.Encoding, opts.ValidUTF8, limits)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// formatOf is the widget's format sniffing (worker.ts formatOf): the
// content decides between ZIP, OLE compound file and text, the name's
// extension between what a ZIP or text may be.
func formatOf(name string, head []byte) (string, error) {
	ext := ""
	if dot := strings.LastIndexByte(name, '.'); dot >= 0 {
		ext = strings.ToLower(name[dot+1:])
	}
	zip := bytes.HasPrefix(head, []byte("PK"))
	cfb := bytes.HasPrefix(head, []byte{0xd0, 0xcf, 0x11, 0xe0})
	switch {
	case ext == "xlsx" || ext == "xlsm":
		if cfb {
			return "", fmt.Errorf("%w: an OLE compound file named .%s", ErrEncrypted, ext)
		}
		if !zip {
			return "", fmt.Errorf("%w: not a ZIP archive", ErrNotWorkbook)
		}
		return "xlsx", nil
	case ext == "ods" && zip:
		return "", fmt.Errorf("%w: ODS is read by the widget only (docs/parsing.md)", ErrUnsupportedFormat)
	case ext == "xls" || cfb:
		return "", fmt.Errorf("%w: XLS is read by the widget only (docs/parsing.md)", ErrUnsupportedFormat)
	case zip:
		// The widget refuses a ZIP not named .xlsx; a program may send a
		// workbook without a name, so the content decides (a ZIP that is no
		// workbook is refused as ErrNotWorkbook).
		return "xlsx", nil
	case ext == "tsv" || ext == "tab":
		return "tsv", nil
	}
	return "csv", nil
}
