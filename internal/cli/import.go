package cli

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/intakehq/intake/internal/fileimport"
	"github.com/intakehq/intake/internal/mapping"
	"github.com/intakehq/intake/internal/parse"
	"github.com/intakehq/intake/internal/rows"
	"github.com/intakehq/intake/internal/template"
	"github.com/intakehq/intake/internal/validate"
)

// mapFlags collects repeated --map header=key flags.
type mapFlags map[string]string

func (m mapFlags) String() string { return "" }
func (m mapFlags) Set(v string) error {
	h, k, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return errors.New("--map takes header=key")
	}
	m[h] = k
	return nil
}

// runImport: intake import FILE --importer ID_OR_KEY [--server URL]
// [--api-key KEY] [--sheet S] [--map header=key …] [--dry-run]. It sends
// the file to the server's files API and follows the import's progress
// (a bar on a terminal, plain lines otherwise), or with --dry-run parses and
// validates it here with the server's own parser and rule engine and sends
// nothing of it. Exit status: 0 imported (or valid), 2 validation errors
// (the report is printed, or written to --report), 1 anything else.
func runImport(ctx context.Context, args []string, s Streams) int {
	fs := flag.NewFlagSet("intake import", flag.ContinueOnError)
	fs.SetOutput(s.Err)
	importer := fs.String("importer", "", "the importer's id (ipr_…) or public key (imp_…) (required)")
	server := fs.String("server", cmp.Or(os.Getenv("INTAKE_SERVER"), "http://127.0.0.1:8080"), "Intake's URL (INTAKE_SERVER)")
	apiKey := fs.String("api-key", os.Getenv("INTAKE_API_KEY"), "an API key, ik_… (INTAKE_API_KEY)")
	sheet := fs.String("sheet", "", `a workbook's sheet: its name or "#N" (default: the first with rows)`)
	delimiter := fs.String("delimiter", "", "the CSV delimiter (default: detected)")
	encoding := fs.String("encoding", "", "the CSV encoding (default: detected)")
	headerRow := fs.Int("header-row", -1, "the 1-based header row, 0 for none (default: detected)")
	mapping := mapFlags{}
	fs.Var(mapping, "map", "map a header to a template key, header=key (repeatable; default: matched automatically)")
	minConf := fs.Float64("min-confidence", 0, "automatic matching keeps proposals at least this sure (default 0.75)")
	allowInvalid := fs.String("allow-invalid", "", "true to store rows with errors flagged (the importer must allow it), false to fail on them (default: the importer's)")
	dryRun := fs.Bool("dry-run", false, "parse and validate here, send nothing")
	tplPath := fs.String("template", "", "with --dry-run: the template JSON file (default: the importer's, fetched from the server)")
	report := fs.String("report", "", "write the error report (CSV: row,column,code) to this file instead of standard output")
	fs.Usage = func() {
		fmt.Fprintln(s.Err, `Usage: intake import FILE --importer ID_OR_KEY [--server URL] [--api-key KEY]
       [--sheet S] [--map header=key …] [--dry-run [--template T.json]]

Imports FILE (CSV, TSV or XLSX) through the importer, parsed and validated on
the server. Exit status: 0 imported, 2 validation errors (report printed),
1 anything else.`)
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, reorder(args)); !ok {
		return code
	}
	if fs.NArg() != 1 || (*importer == "" && *tplPath == "") {
		fs.Usage()
		return exitInvalid
	}
	o := fileimport.Options{Sheet: *sheet, Delimiter: *delimiter, Encoding: *encoding, MinConfidence: *minConf}
	if *headerRow >= 0 {
		o.HeaderRow = headerRow
	}
	if len(mapping) > 0 {
		o.Mapping = mapping
	}
	if *allowInvalid != "" {
		b, err := strconv.ParseBool(*allowInvalid)
		if err != nil {
			errorf(s, "import: --allow-invalid must be true or false")
			return exitInvalid
		}
		o.AllowInvalid = &b
	}
	c := &client{base: strings.TrimRight(*server, "/"), key: *apiKey, http: &http.Client{Timeout: 0}}
	path := fs.Arg(0)
	if *dryRun {
		return dryRunImport(ctx, s, c, path, *importer, *tplPath, o, *report)
	}
	if *apiKey == "" {
		errorf(s, "import: --api-key (or INTAKE_API_KEY) is required")
		return exitInvalid
	}
	return sendImport(ctx, s, c, path, *importer, o, *report)
}

// reorder puts flags before the file argument, so that FILE may come first
// as the usage line shows it (the flag package stops at the first non-flag).
func reorder(args []string) []string {
	var flags, rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			rest = append(rest, args[i+1:]...)
			return append(flags, rest...)
		case strings.HasPrefix(a, "-") && a != "-":
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if !strings.Contains(name, "=") && name != "dry-run" && name != "h" && name != "help" && i+1 < len(args) {
				i++
				flags = append(flags, args[i])
			}
		default:
			rest = append(rest, a)
		}
	}
	return append(flags, rest...)
}

type client struct {
	base, key string
	http      *http.Client
}

// send sends one request with the API key; the caller closes the body.
func (c *client) send(ctx context.Context, method, path string, body io.Reader, size int64) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, err
	}
	if size >= 0 && body != nil {
		req.ContentLength = size
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		var e struct {
			Error struct{ Code, Message string }
		}
		_ = json.Unmarshal(data, &e)
		return nil, fmt.Errorf("%s %s: %d %s: %s", method, path, resp.StatusCode, e.Error.Code, e.Error.Message)
	}
	return resp, nil
}

// json sends one request and decodes its JSON answer into out.
func (c *client) json(ctx context.Context, method, path string, body io.Reader, size int64, out any) error {
	resp, err := c.send(ctx, method, path, body, size)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	return json.Unmarshal(data, out)
}

func optionsQuery(name string, o fileimport.Options) url.Values {
	q := url.Values{"name": {name}}
	for k, v := range map[string]string{"sheet": o.Sheet, "delimiter": o.Delimiter, "encoding": o.Encoding} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if o.HeaderRow != nil {
		q.Set("header_row", strconv.Itoa(*o.HeaderRow))
	}
	if o.Mapping != nil {
		m, _ := json.Marshal(o.Mapping)
		q.Set("mapping", string(m))
	}
	if o.MinConfidence > 0 {
		q.Set("min_confidence", strconv.FormatFloat(o.MinConfidence, 'f', -1, 64))
	}
	if o.AllowInvalid != nil {
		q.Set("allow_invalid", strconv.FormatBool(*o.AllowInvalid))
	}
	return q
}

type importStatus struct {
	Status         string `json:"status"`
	Rows           int64  `json:"rows"`
	RowsWithErrors int64  `json:"rows_with_errors"`
	File           struct {
		State          string `json:"state"`
		RowsParsed     int64  `json:"rows_parsed"`
		Errors         int64  `json:"errors"`
		FailureCode    string `json:"failure_code"`
		FailureMessage string `json:"failure_message"`
	} `json:"file"`
}

func sendImport(ctx context.Context, s Streams, c *client, path, importer string, o fileimport.Options, report string) int {
	f, size, err := openSized(path)
	if err != nil {
		errorf(s, "import: %v", err)
		return exitFailure
	}
	defer f.Close()
	var sub struct {
		ImportID string `json:"import_id"`
	}
	q := optionsQuery(filepath.Base(path), o)
	if err := c.json(ctx, "POST", "/api/v1/importers/"+url.PathEscape(importer)+"/files?"+q.Encode(), f, size, &sub); err != nil {
		errorf(s, "import: %v", err)
		return exitFailure
	}
	bar := newProgress(s.Err)
	fmt.Fprintf(s.Err, "import %s: sent %d bytes\n", sub.ImportID, size)
	var st importStatus
	for {
		if err := c.json(ctx, "GET", "/api/v1/imports/"+sub.ImportID, nil, -1, &st); err != nil {
			errorf(s, "import: %v", err)
			return exitFailure
		}
		bar.show(st.File.State, st.File.RowsParsed, st.Rows)
		if st.File.State == "completed" || st.File.State == "failed" {
			break
		}
		select {
		case <-ctx.Done():
			errorf(s, "import: %v (the import %s goes on on the server)", ctx.Err(), sub.ImportID)
			return exitFailure
		case <-time.After(300 * time.Millisecond):
		}
	}
	bar.done()
	if st.File.State == "completed" {
		fmt.Fprintf(s.Out, "imported %s: %d rows, %d with errors\n", sub.ImportID, st.Rows, st.RowsWithErrors)
		return exitOK
	}
	fmt.Fprintf(s.Err, "import %s failed: %s: %s\n", sub.ImportID, st.File.FailureCode, st.File.FailureMessage)
	if st.File.FailureCode != fileimport.CodeInvalidRows && st.File.FailureCode != fileimport.CodeRowsWithErrors {
		return exitFailure
	}
	resp, err := c.send(ctx, "GET", "/api/v1/imports/"+sub.ImportID+"/errors.csv", nil, -1)
	if err != nil {
		errorf(s, "import: error report: %v", err)
		return exitFailure
	}
	defer resp.Body.Close()
	if err := writeReport(s, report, resp.Body); err != nil {
		errorf(s, "import: error report: %v", err)
		return exitFailure
	}
	return exitInvalid
}

func writeReport(s Streams, path string, r io.Reader) error {
	if path == "" {
		_, err := io.Copy(s.Out, r)
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// progress shows an import's progress: a bar redrawn in place on a
// terminal, a plain line per change of state or every few seconds
// otherwise (CI logs keep every line).
type progress struct {
	w        io.Writer
	tty      bool
	last     time.Time
	state    string
	rows     int64
	drawn    bool
	interval time.Duration
}

func newProgress(w io.Writer) *progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return &progress{w: w, tty: tty, interval: 2 * time.Second}
}

func (p *progress) show(state string, parsed, stored int64) {
	if p.tty {
		spin := int(parsed/20000) % 20
		bar := strings.Repeat("=", spin) + ">" + strings.Repeat(" ", 19-spin)
		fmt.Fprintf(p.w, "\r[%s] %-9s %d rows parsed, %d stored", bar, state, parsed, stored)
		p.drawn = true
		return
	}
	if state != p.state || (parsed != p.rows && time.Since(p.last) >= p.interval) {
		if state == "failed" { // a failed import keeps nothing
			fmt.Fprintf(p.w, "%s: %d rows parsed\n", state, parsed)
		} else {
			fmt.Fprintf(p.w, "%s: %d rows parsed, %d stored\n", state, parsed, stored)
		}
		p.state, p.rows, p.last = state, parsed, time.Now()
	}
}

func (p *progress) done() {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}

// dryRunImport parses and validates the file here, with the parser and
// the rule engine the server runs, and sends nothing of it: the template
// is read from --template, or fetched (only it) from the server.
func dryRunImport(ctx context.Context, s Streams, c *client, path, importer, tplPath string, o fileimport.Options, report string) int {
	var tpl *template.Template
	var learned []mapping.LearnedPair
	if tplPath != "" {
		var code int
		if tpl, code = loadTemplate(tplPath, s); tpl == nil {
			return code
		}
	} else {
		var list struct {
			Importers []struct {
				ID, Key       string
				Template      json.RawMessage
				LearnMappings bool `json:"learn_mappings"`
			} `json:"importers"`
		}
		if err := c.json(ctx, "GET", "/api/v1/importers", nil, -1, &list); err != nil {
			errorf(s, "import: %v", err)
			return exitFailure
		}
		for _, im := range list.Importers {
			if im.ID == importer || im.Key == importer {
				t, err := template.Parse(im.Template)
				if err != nil {
					errorf(s, "import: the importer's template: %v", err)
					return exitFailure
				}
				tpl = t
				if im.LearnMappings { // the server's matching proposes them first
					var l struct {
						Learned []mapping.LearnedPair `json:"learned"`
					}
					if err := c.json(ctx, "GET", "/api/v1/importers/"+url.PathEscape(im.ID)+"/learned", nil, -1, &l); err != nil {
						errorf(s, "import: learned mappings: %v", err)
						return exitFailure
					}
					learned = l.Learned
				}
			}
		}
		if tpl == nil {
			errorf(s, "import: no importer %s", importer)
			return exitFailure
		}
	}
	engine, err := validate.Compile(tpl)
	if err != nil {
		errorf(s, "import: template: %v", err)
		return exitFailure
	}
	f, size, err := openSized(path)
	if err != nil {
		errorf(s, "import: %v", err)
		return exitFailure
	}
	defer f.Close()
	rs, _, err := fileimport.Open(f, size, filepath.Base(path), tpl, o, learned, parse.Limits{})
	if err != nil {
		errorf(s, "import: %s: %v", filepath.Base(path), err)
		return exitFailure
	}
	defer rs.Close()
	var out io.Writer = s.Out
	if report != "" {
		rf, err := os.OpenFile(report, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			errorf(s, "import: %v", err)
			return exitFailure
		}
		defer rf.Close()
		out = rf
	}
	// The same CSV writer as the server's report (package rows): one
	// owner per format, so both reports read alike.
	bw := bufio.NewWriter(out)
	var cw rows.RowWriter
	stream := engine.NewStream(nil)
	keys := tpl.Keys()
	normalised := make([]*string, len(keys))
	var errs []validate.Error
	var n, bad int64
	for {
		row, err := rs.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errorf(s, "import: %s: %v", filepath.Base(path), err)
			return exitFailure
		}
		errs = stream.Row(int(n), row, normalised, errs[:0])
		for _, e := range errs {
			if cw == nil {
				if cw, err = rows.NewWriter(rows.CSV, bw, []string{"row", "column", "code"}); err != nil {
					errorf(s, "import: write: %v", err)
					return exitFailure
				}
			}
			bad++
			row, column, code := strconv.FormatInt(rs.FileRow(n), 10), e.Column, e.Code
			if err := cw.WriteRows([][]*string{{&row, &column, &code}}); err != nil {
				errorf(s, "import: write: %v", err)
				return exitFailure
			}
		}
		n++
	}
	if cw != nil {
		if err := cw.Close(); err != nil {
			errorf(s, "import: write: %v", err)
			return exitFailure
		}
	}
	if err := bw.Flush(); err != nil {
		errorf(s, "import: write: %v", err)
		return exitFailure
	}
	fmt.Fprintf(s.Err, "dry run: %d rows, %d errors, nothing sent\n", n, bad)
	if bad > 0 {
		return exitInvalid
	}
	return exitOK
}

// openSized opens the file to import and returns its size, which both the
// upload (Content-Length) and the local parser (its bounds) need.
func openSized(path string) (*os.File, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("stat %s: %w", path, err)
	}
	return f, info.Size(), nil
}
