package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/intakehq/intake/internal/mapping"
)

// runMatch: intake match --template T.json --headers "A,B,C". It prints the
// proposed mapping as one JSON object, header → template key or null, in
// header order.
func runMatch(_ context.Context, args []string, s Streams) int {
	fs := flag.NewFlagSet("intake match", flag.ContinueOnError)
	fs.SetOutput(s.Err)
	tplPath := fs.String("template", "", "template JSON file (required)")
	headers := fs.String("headers", "", `the file's header row, comma-separated (CSV quoting allowed: "a,b",c)`)
	fs.Usage = func() {
		fmt.Fprintln(s.Err, `Usage: intake match --template T.json --headers "A,B,C"

Prints {"A":"key_or_null",…}: the column each header is proposed to fill.`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitInvalid
	}
	if *tplPath == "" || *headers == "" || fs.NArg() != 0 {
		fs.Usage()
		return exitInvalid
	}
	tpl, code := loadTemplate(*tplPath, s)
	if tpl == nil {
		return code
	}
	cr := csv.NewReader(strings.NewReader(*headers))
	cr.LazyQuotes = true
	names, err := cr.Read()
	if err != nil {
		errorf(s, "match: --headers is not one CSV line: %v", err)
		return exitInvalid
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, p := range mapping.Match(tpl, names) {
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
	if _, err := s.Out.Write(b.Bytes()); err != nil {
		errorf(s, "match: write: %v", err)
		return exitFailure
	}
	return exitOK
}
