package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/intakehq/intake/internal/mapping"
)

// runMatch: intake match --template T.json (--headers "A,B,C" | --file F.csv)
// [--detail]. It prints the proposed mapping as one JSON object, header →
// template key or null, in header order; with --detail a JSON array of
// {header, key, confidence, level}. With --file the header row is the
// file's first line and the rows below give value hints, as the widget's
// sampled values do (docs/templates.md, "Column matching").
func runMatch(_ context.Context, args []string, s Streams) int {
	fs := flag.NewFlagSet("intake match", flag.ContinueOnError)
	fs.SetOutput(s.Err)
	tplPath := fs.String("template", "", "template JSON file (required)")
	headers := fs.String("headers", "", `the file's header row, comma-separated (CSV quoting allowed: "a,b",c)`)
	file := fs.String("file", "", "a CSV file: its first line is the header row, the rows below give value hints")
	detail := fs.Bool("detail", false, "print [{header, key, confidence, level}, …] instead of {header: key, …}")
	fs.Usage = func() {
		fmt.Fprintln(s.Err, `Usage: intake match --template T.json (--headers "A,B,C" | --file F.csv) [--detail]

Prints {"A":"key_or_null",…}: the column each header is proposed to fill.`)
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if *tplPath == "" || (*headers == "") == (*file == "") || fs.NArg() != 0 {
		fs.Usage()
		return exitInvalid
	}
	tpl, code := loadTemplate(*tplPath, s)
	if tpl == nil {
		return code
	}
	var names []string
	var hints [][]float64
	if *file != "" {
		data, err := os.ReadFile(*file)
		if err != nil {
			errorf(s, "match: %v", err)
			return exitFailure
		}
		cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))))
		cr.LazyQuotes = true
		cr.FieldsPerRecord = -1
		records, err := cr.ReadAll()
		if err != nil {
			// The csv error names a line and column, never the cell.
			errorf(s, "match: %s: %v", *file, err)
			return exitFailure
		}
		if len(records) == 0 {
			errorf(s, "match: %s: no header row", *file)
			return exitFailure
		}
		names = records[0]
		hints = mapping.ValueHints(tpl, mapping.SampleColumns(records[1:], len(names)))
	} else {
		cr := csv.NewReader(strings.NewReader(*headers))
		cr.LazyQuotes = true
		var err error
		if names, err = cr.Read(); err != nil {
			errorf(s, "match: --headers is not one CSV line: %v", err)
			return exitInvalid
		}
	}
	proposals := mapping.MatchValues(tpl, names, hints)
	var b bytes.Buffer
	if *detail {
		out, _ := json.Marshal(proposals)
		b.Write(out)
		b.WriteByte('\n')
	} else {
		b.WriteByte('{')
		for i, p := range proposals {
			if i > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(p.Header)
			b.Write(k)
			b.WriteByte(':')
			if p.Key == "" {
				b.WriteString("null")
			} else {
				v, _ := json.Marshal(p.Key)
				b.Write(v)
			}
		}
		b.WriteString("}\n")
	}
	if _, err := s.Out.Write(b.Bytes()); err != nil {
		errorf(s, "match: write: %v", err)
		return exitFailure
	}
	return exitOK
}
