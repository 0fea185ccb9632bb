package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/intakehq/intake/internal/template"
	"github.com/intakehq/intake/internal/validate"
)

// runValidate: intake validate --template T.json FILE. It checks a CSV file
// or a JSON array of objects whose header (or keys) are template keys, prints
// one JSON line per error and exits 0 when the data is valid, 2 when it is
// not, 1 when the template or the file cannot be read.
func runValidate(ctx context.Context, args []string, s Streams) int {
	fs := flag.NewFlagSet("intake validate", flag.ContinueOnError)
	fs.SetOutput(s.Err)
	tplPath := fs.String("template", "", "template JSON file (required)")
	fs.Usage = func() {
		fmt.Fprintln(s.Err, `Usage: intake validate --template T.json FILE

FILE is a CSV file whose header row holds template keys, or a JSON array of
objects keyed by template keys ("-" reads standard input). Data rows are
numbered from 1. Prints one JSON line per error; exit status 0 = valid,
2 = invalid, 1 = unreadable template or file.`)
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if *tplPath == "" || fs.NArg() != 1 {
		fs.Usage()
		return exitInvalid
	}
	engine, code := loadEngine(*tplPath, s)
	if engine == nil {
		return code
	}
	in, closeIn, err := openInput(fs.Arg(0), s.In)
	if err != nil {
		errorf(s, "validate: %v", err)
		return exitFailure
	}
	defer closeIn()

	out := bufio.NewWriter(s.Out)
	defer out.Flush()
	enc := json.NewEncoder(out)
	stream := engine.NewStream(nil)
	keys := engine.Template().Keys()
	normalised := make([]*string, len(keys))
	rows, invalid := 0, 0
	var errs []validate.Error
	emit := func(cells []*string) error {
		rows++
		errs = stream.Row(rows, cells, normalised, errs[:0])
		for _, e := range errs {
			if err := enc.Encode(e); err != nil {
				return fmt.Errorf("write: %w", err)
			}
		}
		if len(errs) > 0 {
			invalid++
		}
		return ctx.Err()
	}
	r := bufio.NewReaderSize(in, 1<<16)
	if isJSONArray(r) {
		err = readJSONRows(r, keys, emit, s)
	} else {
		err = readCSVRows(r, keys, emit, s)
	}
	if err != nil {
		errorf(s, "validate %s: %v", fs.Arg(0), err)
		return exitFailure
	}
	fmt.Fprintf(s.Err, "%d rows, %d invalid\n", rows, invalid)
	if invalid > 0 {
		return exitInvalid
	}
	return exitOK
}

// loadEngine reads, parses and compiles a template file, reporting problems
// on s.Err; it returns the exit code to use when the engine is nil.
func loadEngine(path string, s Streams) (*validate.Engine, int) {
	tpl, code := loadTemplate(path, s)
	if tpl == nil {
		return nil, code
	}
	engine, err := validate.Compile(tpl)
	if err != nil {
		errorf(s, "template %s: %v", path, err)
		return nil, exitFailure
	}
	return engine, exitOK
}

func loadTemplate(path string, s Streams) (*template.Template, int) {
	data, err := os.ReadFile(path)
	if err != nil {
		errorf(s, "read template: %v", err)
		return nil, exitFailure
	}
	tpl, err := template.Parse(data)
	if err != nil {
		errorf(s, "template %s: %v", path, err)
		return nil, exitFailure
	}
	return tpl, exitOK
}

func openInput(path string, stdin io.Reader) (io.Reader, func(), error) {
	if path == "-" {
		return stdin, func() {}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// isJSONArray skips a byte-order mark and reports whether the input starts
// (after whitespace) with '['.
func isJSONArray(r *bufio.Reader) bool {
	if head, _ := r.Peek(3); bytes.Equal(head, utf8BOM) {
		_, _ = r.Discard(3)
	}
	for i := 1; ; i++ {
		head, err := r.Peek(i)
		if err != nil || len(head) < i {
			return false
		}
		switch head[i-1] {
		case ' ', '\t', '\r', '\n':
			continue
		case '[':
			return true
		}
		return false
	}
}

// columnIndex maps the file's field names to template column positions,
// warning about fields the template does not have.
func columnIndex(names []string, keys []string, s Streams) ([]int, error) {
	pos := make(map[string]int, len(keys))
	for i, k := range keys {
		pos[k] = i
	}
	index := make([]int, len(names))
	seen := map[string]bool{}
	for i, n := range names {
		if seen[n] {
			return nil, fmt.Errorf("header names column %q twice", n)
		}
		seen[n] = true
		j, ok := pos[n]
		if !ok {
			fmt.Fprintf(s.Err, "intake: validate: ignoring field %q, not a template key\n", n)
			j = -1
		}
		index[i] = j
	}
	return index, nil
}

func readCSVRows(r io.Reader, keys []string, emit func([]*string) error, s Streams) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return errors.New("empty file: no header row")
	}
	if err != nil {
		return fmt.Errorf("header: %w", err)
	}
	index, err := columnIndex(header, keys, s)
	if err != nil {
		return err
	}
	cells := make([]*string, len(keys))
	values := make([]string, len(keys))
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err // csv.ParseError names the line, never the data
		}
		clear(cells)
		for i, v := range rec {
			if i < len(index) && index[i] >= 0 {
				values[index[i]] = v
				cells[index[i]] = &values[index[i]]
			}
		}
		if err := emit(cells); err != nil {
			return err
		}
	}
}

func readJSONRows(r io.Reader, keys []string, emit func([]*string) error, s Streams) error {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	if _, err := dec.Token(); err != nil { // '['
		return jsonErrorWithoutValue(err)
	}
	pos := make(map[string]int, len(keys))
	for i, k := range keys {
		pos[k] = i
	}
	warned := map[string]bool{}
	cells := make([]*string, len(keys))
	for n := 1; dec.More(); n++ {
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			return fmt.Errorf("row %d: not a JSON object: %w", n, jsonErrorWithoutValue(err))
		}
		clear(cells)
		for k, v := range obj {
			j, ok := pos[k]
			if !ok {
				if !warned[k] {
					warned[k] = true
					fmt.Fprintf(s.Err, "intake: validate: ignoring field %q, not a template key\n", k)
				}
				continue
			}
			cell, err := jsonCell(v)
			if err != nil {
				return fmt.Errorf("row %d, field %q: %w", n, k, err)
			}
			cells[j] = cell
		}
		if err := emit(cells); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // ']'
		return jsonErrorWithoutValue(err)
	}
	return nil
}

// jsonCell turns a JSON scalar into a cell: strings as they are, numbers in
// their JSON spelling, booleans as true/false, null as an empty cell.
func jsonCell(v any) (*string, error) {
	var s string
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		s = x
	case json.Number:
		s = x.String()
	case bool:
		s = strconv.FormatBool(x)
	default:
		return nil, errors.New("not a string, number, boolean or null")
	}
	return &s, nil
}

// jsonErrorWithoutValue keeps the position of a JSON error and drops the
// offending value that some json errors quote.
func jsonErrorWithoutValue(err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Errorf("syntax error at byte %d", syn.Offset)
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return fmt.Errorf("%s at byte %d", typ.Value, typ.Offset)
	}
	return err
}
