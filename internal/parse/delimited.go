package parse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
)

// delimitedReader reads a CSV or TSV file: the encoding and dialect found
// once, then records streamed, blank ones dropped and counted.
type delimitedReader struct {
	settings Settings
	scan     *csvScanner
	// ahead holds the first rows, read by Open to refuse a binary file as
	// the widget does (it looks at its first 50 rows).
	ahead   [][]string
	skipped int64
	err     error
}

// binaryRows is how many rows the binary check looks at, and binaryUnits
// how many UTF-16 code units of them at most (worker.ts looksBinary).
const (
	binaryRows  = 50
	binaryUnits = 20000
)

func openDelimited(r io.ReaderAt, size int64, delimiter, encoding string, knownUTF8 bool, l Limits) (Reader, error) {
	text, label, err := textOf(r, size, encoding, knownUTF8)
	if err != nil {
		return nil, err
	}
	// The sample: the text's first sampleUnits UTF-16 code units.
	head, err := readHead(text, sampleUnits*utf8MaxPerUnit)
	if err != nil {
		return nil, err
	}
	end, cut := sampleEnd(head)
	d := sniffDialect(head[:end], cut)
	if delimiter == "" {
		delimiter = d.delimiter
	}
	rest := io.MultiReader(bytes.NewReader(head[d.skip:]), text)
	dr := &delimitedReader{
		settings: Settings{Format: "csv", Delimiter: delimiter, Encoding: label, Linebreak: d.linebreak},
		scan:     newCSVScanner(rest, size, delimiter, d.linebreak, l),
	}
	for len(dr.ahead) < binaryRows {
		row, err := dr.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		dr.ahead = append(dr.ahead, slices.Clone(row))
	}
	if len(dr.ahead) == 0 {
		return nil, fmt.Errorf("%w (%d blank rows)", ErrEmpty, dr.skipped)
	}
	if looksBinary(dr.ahead) {
		return nil, ErrBinary
	}
	return dr, nil
}

// utf8MaxPerUnit bounds the UTF-8 bytes of one UTF-16 code unit (three:
// U+0800–U+FFFF; a four-byte character is two units).
const utf8MaxPerUnit = 3

// readHead reads up to n bytes of text.
func readHead(text io.Reader, n int) ([]byte, error) {
	head, err := io.ReadAll(io.LimitReader(text, int64(n)))
	if err != nil {
		return nil, fmt.Errorf("read the file: %w", err)
	}
	return head, nil
}

// looksBinary reports rows of which more than a tenth of the first
// binaryUnits code units are control characters or U+FFFD.
func looksBinary(rows [][]string) bool {
	control, total := 0, 0
	for _, row := range rows {
		for _, cell := range row {
			for _, r := range cell {
				if total >= binaryUnits {
					break
				}
				if (r < 32 && r != 9 && r != 10 && r != 13) || r == 0xfffd {
					control++
				}
				total++
				if r > 0xffff && total < binaryUnits {
					total++
				}
			}
		}
	}
	return total > 0 && control*10 > total
}

func (d *delimitedReader) next() ([]string, error) {
	if d.err != nil {
		return nil, d.err
	}
	for {
		row, err := d.scan.record()
		if err != nil {
			// An error ends the file: Next returns it again.
			d.err = err
			return nil, err
		}
		if blank(row) {
			d.skipped++
			continue
		}
		return row, nil
	}
}

func (d *delimitedReader) Settings() Settings { return d.settings }
func (d *delimitedReader) Skipped() int64     { return d.skipped }
func (d *delimitedReader) Close() error       { return nil }

func (d *delimitedReader) Next() ([]string, error) {
	if len(d.ahead) > 0 {
		row := d.ahead[0]
		d.ahead[0] = nil
		d.ahead = d.ahead[1:]
		return row, nil
	}
	return d.next()
}
