// Package validate is Intake's rule engine: it checks and normalises rows
// against a template (internal/template). The server runs it on every chunk
// it receives — it is the authority — and the widget runs a TypeScript twin;
// both pass the conformance vectors in testdata/conformance.
//
// Use: Compile a template once into an Engine (immutable, shared by every
// goroutine), open a Stream per import (it holds the uniqueness state), and
// feed it rows with Row. Validate does all of that for a whole data set.
//
// What it must never do: put a cell value into an error, a message, a log
// line or a panic. Errors carry the row, the column key, a code and
// parameters taken from the template only; Message renders them.
package validate

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/intakehq/intake/internal/phone"
	"github.com/intakehq/intake/internal/template"
)

// Error is one problem with one cell, or with a row rule (then Column is the
// rule's target column). Message is English built from Code and Params, never
// from the value; other locales build their own from the same two fields.
type Error struct {
	Row     int               `json:"row"`
	Column  string            `json:"column"`
	Code    string            `json:"code"`
	Params  map[string]string `json:"params,omitempty"`
	Message string            `json:"message"`
}

// Uniqueness keeps the values already seen in unique columns, so the server
// can hold that state across chunks, replicas and restarts (for instance in
// its database). Claim records that row holds key in column (the column's
// index in the template) and returns the first row that claimed the key;
// duplicate is true when that is another row. A row claiming the same key
// again is not a duplicate, so a re-sent chunk is harmless. Keys are
// normalised values (folded when the column ignores case); an implementation
// may hash them before storing.
type Uniqueness interface {
	Claim(column int, key string, row int) (firstRow int, duplicate bool)
}

// Engine is a compiled template. It is immutable and safe for concurrent use.
type Engine struct {
	t     *template.Template
	cols  []column
	rules []rowRule
}

type checker interface {
	// check normalises a trimmed, non-empty, valid UTF-8 value. It returns
	// the normalised value ("" meaning empty), or a failure. A value it
	// builds goes into ar (which may be nil).
	check(v string, ar *arena) (string, *failure)
}

// arena holds the values a stream builds (an E.164 number, a date in ISO
// form), so that they cost an allocation per few thousand cells, not one
// each. Its bytes are never written again once handed out as a string: a
// value may outlive the stream, only keeping its block alive.
type arena struct{ buf []byte }

// arenaBlock is the size of an arena's blocks; a value longer than a
// sixteenth of it is allocated on its own.
const arenaBlock = 16 << 10

// string returns b as a string, copied into the arena; a nil arena
// allocates it.
func (a *arena) string(b []byte) string {
	if a == nil || len(b) == 0 || len(b) > arenaBlock/16 {
		return string(b)
	}
	if len(a.buf)+len(b) > cap(a.buf) {
		a.buf = make([]byte, 0, arenaBlock)
	}
	start := len(a.buf)
	a.buf = append(a.buf, b...)
	return unsafe.String(&a.buf[start], len(b))
}

// failure is a precomputed error code with its parameters.
type failure struct {
	code   string
	params map[string]string
}

func fail(code string, kv ...string) *failure {
	f := &failure{code: code}
	if len(kv) > 0 {
		f.params = make(map[string]string, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			f.params[kv[i]] = kv[i+1]
		}
	}
	return f
}

type column struct {
	key        string
	required   bool
	unique     bool
	uniqueFold bool
	def        *string
	chk        checker
}

type rowRule struct {
	rule    string
	target  int // required_if: the column that becomes required
	when    int // required_if: the column that decides
	equals  []string
	columns []int // one_of_required
	fail    *failure
}

// Compile turns a template from template.Parse (whose resolved defaults it
// relies on) into an Engine. It also checks what Parse cannot: that each default is a valid value of its column (code
// invalid_default). Errors are *template.Error.
func Compile(t *template.Template) (*Engine, error) {
	if t == nil || len(t.Columns) == 0 {
		return nil, &template.Error{Code: template.CodeNoColumns, Detail: "a template needs at least one column"}
	}
	tab, err := tables()
	if err != nil {
		return nil, fmt.Errorf("load tables: %w", err)
	}
	e := &Engine{t: t, cols: make([]column, len(t.Columns))}
	for i := range t.Columns {
		c := &t.Columns[i]
		chk, err := newChecker(c, tab.countries, tab.currencies)
		if err != nil {
			return nil, err
		}
		col := column{key: c.Key, required: c.Required, unique: c.Unique, uniqueFold: c.UniqueIgnoreCase, chk: chk}
		if c.Default != nil {
			v := template.Trim(*c.Default)
			out, f := "", (*failure)(nil)
			if v != "" {
				out, f = chk.check(v, nil)
			}
			if v == "" || f != nil || out == "" {
				return nil, &template.Error{Column: c.Key, Code: template.CodeInvalidDefault, Detail: "default is not a valid value of the column"}
			}
			col.def = &out
		}
		e.cols[i] = col
	}
	for _, r := range t.Rules {
		rr := rowRule{rule: r.Rule, equals: r.Equals}
		switch r.Rule {
		case template.RuleRequiredIf:
			rr.target, rr.when = t.Index(r.Column), t.Index(r.When)
			rr.fail = fail(CodeRequiredIf, "when", r.When)
		case template.RuleOneOfRequired:
			for _, k := range r.Columns {
				rr.columns = append(rr.columns, t.Index(k))
			}
			rr.target = rr.columns[0]
			joined := ""
			for i, k := range r.Columns {
				if i > 0 {
					joined += ","
				}
				joined += k
			}
			rr.fail = fail(CodeOneOfRequired, "columns", joined)
		}
		e.rules = append(e.rules, rr)
	}
	return e, nil
}

// CheckTemplate parses a template and compiles it: everything a template
// must pass before it is accepted (the server calls it when a team saves a
// template; template.Parse alone does not check defaults). Errors are
// *template.Error and wrap template.ErrInvalid.
func CheckTemplate(data []byte) (*template.Template, *Engine, error) {
	t, err := template.Parse(data)
	if err != nil {
		return nil, nil, err
	}
	e, err := Compile(t)
	if err != nil {
		return nil, nil, err
	}
	return t, e, nil
}

func newChecker(c *template.Column, countries map[string]string, currencies map[string]bool) (checker, error) {
	switch c.Type {
	case template.Text:
		return newTextCheck(c), nil
	case template.Number:
		return newNumberCheck(c), nil
	case template.Boolean:
		return &boolCheck{yes: c.TrueValue, no: c.FalseValue}, nil
	case template.Email:
		return emailCheck{}, nil
	case template.URL:
		return urlCheck{}, nil
	case template.Phone:
		p, err := phone.NewParser(c.DefaultRegion)
		if err != nil {
			return nil, &template.Error{Column: c.Key, Code: template.CodeInvalidOption, Detail: err.Error()}
		}
		return phoneCheck{p}, nil
	case template.Date, template.DateTime, template.Time:
		d, err := newDateCheck(c)
		if err != nil {
			return nil, &template.Error{Column: c.Key, Code: template.CodeInvalidFormat, Detail: err.Error()}
		}
		return d, nil
	case template.Enum, template.MultiEnum:
		return newEnumCheck(c), nil
	case template.Regex:
		re, err := template.CompileRegex(c.Pattern)
		if err != nil {
			return nil, &template.Error{Column: c.Key, Code: template.CodeRegexUnsupported, Detail: err.Error()}
		}
		f := fail(CodePatternMismatch)
		if c.Message != "" {
			f = fail(CodePatternMismatch, "message", c.Message)
		}
		return &regexCheck{re: re, fail: f}, nil
	case template.IP:
		return &ipCheck{version: c.Version, fail: fail(CodeInvalidIP, "version", c.Version)}, nil
	case template.Country:
		return countryCheck{names: countries}, nil
	case template.Currency:
		return currencyCheck{codes: currencies}, nil
	}
	return nil, &template.Error{Column: c.Key, Code: template.CodeUnknownType, Detail: fmt.Sprintf("type %q", c.Type)}
}

// Template returns the template the engine was compiled from.
func (e *Engine) Template() *template.Template { return e.t }

// Stream validates the rows of one import, in any number of calls. It is
// not safe for concurrent use; open one per import (or per chunk with a
// shared Uniqueness).
type Stream struct {
	e     *Engine
	u     Uniqueness
	state []cellState
	slab  []string
	arena arena
}

type cellState uint8

const (
	cellEmpty cellState = iota
	cellValid
	cellInvalid
)

// NewStream opens a stream. u holds the uniqueness state; nil keeps it in
// memory for the life of the stream.
func (e *Engine) NewStream(u Uniqueness) *Stream {
	if u == nil {
		u = newMemoryUniqueness(len(e.cols))
	}
	return &Stream{e: e, u: u, state: make([]cellState, len(e.cols))}
}

// keep returns a stable pointer to v, taking it from a slab so that output
// pointers cost an allocation per thousand cells, not per cell.
func (s *Stream) keep(v string) *string {
	if len(s.slab) == cap(s.slab) {
		s.slab = make([]string, 0, 1024)
	}
	s.slab = append(s.slab, v)
	return &s.slab[len(s.slab)-1]
}

// Row validates and normalises one row given in template column order (nil
// is an empty cell; missing trailing cells are empty). It writes normalised
// values into out, which needs at least one slot per column, and appends the
// row's errors to errs, returning it. Output pointers may alias the input
// cells or engine-owned strings: treat them as read-only. On the happy path
// of text, number, email and date columns Row does not allocate.
func (s *Stream) Row(row int, in []*string, out []*string, errs []Error) []Error {
	return s.row(row, in, out, errs, true)
}

// RowValidUTF8 is Row for cells the caller knows to be valid UTF-8, as every
// string decoded from JSON is: it skips checking the encoding once more,
// which is a fifth of the cost of a row of short cells. Given invalid UTF-8
// it would let it through without an invalid_encoding error.
func (s *Stream) RowValidUTF8(row int, in []*string, out []*string, errs []Error) []Error {
	return s.row(row, in, out, errs, false)
}

func (s *Stream) row(row int, in []*string, out []*string, errs []Error, checkUTF8 bool) []Error {
	cols := s.e.cols
	if len(out) < len(cols) {
		panic(fmt.Sprintf("validate: Row needs %d output slots, got %d", len(cols), len(out)))
	}
	for i := range cols {
		c := &cols[i]
		var p *string
		if i < len(in) {
			p = in[i]
		}
		out[i], s.state[i] = nil, cellEmpty
		if p != nil {
			raw := *p
			if checkUTF8 && !utf8.ValidString(raw) {
				s.state[i] = cellInvalid
				errs = appendError(errs, row, c.key, failInvalidEncoding)
				continue
			}
			if v := template.Trim(raw); v != "" {
				res, f := c.chk.check(v, &s.arena)
				if f != nil {
					s.state[i] = cellInvalid
					errs = appendError(errs, row, c.key, f)
					continue
				}
				if res != "" {
					if res == raw {
						out[i] = p
					} else {
						out[i] = s.keep(res)
					}
					s.state[i] = cellValid
					if c.unique {
						key := res
						if c.uniqueFold {
							key = template.Fold(res)
						}
						if first, dup := s.u.Claim(i, key, row); dup {
							errs = appendError(errs, row, c.key, fail(CodeDuplicate, "row", strconv.Itoa(first)))
						}
					}
					continue
				}
			}
		}
		if c.def != nil {
			out[i], s.state[i] = c.def, cellValid
		} else if c.required {
			errs = appendError(errs, row, c.key, failRequired)
		}
	}
	for i := range s.e.rules {
		r := &s.e.rules[i]
		switch r.rule {
		case template.RuleRequiredIf:
			w := out[r.when]
			if w == nil || s.state[r.target] != cellEmpty {
				continue
			}
			if len(r.equals) > 0 && !slices.Contains(r.equals, *w) {
				continue
			}
			errs = appendError(errs, row, cols[r.target].key, r.fail)
		case template.RuleOneOfRequired:
			present := false
			for _, k := range r.columns {
				present = present || s.state[k] != cellEmpty
			}
			if !present {
				errs = appendError(errs, row, cols[r.target].key, r.fail)
			}
		}
	}
	return errs
}

var (
	failRequired        = fail(CodeRequired)
	failInvalidEncoding = fail(CodeInvalidEncoding)
)

// appendError copies the failure's params, so callers may keep and change
// the errors they get without touching the engine's shared failures.
func appendError(errs []Error, row int, key string, f *failure) []Error {
	var params map[string]string
	if len(f.params) > 0 {
		params = make(map[string]string, len(f.params))
		for k, v := range f.params {
			params[k] = v
		}
	}
	return append(errs, Error{Row: row, Column: key, Code: f.code, Params: params, Message: Message(f.code, params)})
}

// Validate checks a whole data set with fresh, in-memory uniqueness. Rows
// are numbered from 1. It returns the normalised rows and every error, in
// row order, or the template's error when it does not compile.
func Validate(t *template.Template, rows [][]*string) ([][]*string, []Error, error) {
	e, err := Compile(t)
	if err != nil {
		return nil, nil, err
	}
	s := e.NewStream(nil)
	n := len(e.cols)
	flat := make([]*string, n*len(rows))
	out := make([][]*string, len(rows))
	var errs []Error
	for i, r := range rows {
		out[i] = flat[i*n : (i+1)*n : (i+1)*n]
		errs = s.Row(i+1, r, out[i], errs)
	}
	return out, errs, nil
}

// memoryUniqueness is the Uniqueness of one process: a map per column.
type memoryUniqueness struct{ seen []map[string]int }

func newMemoryUniqueness(columns int) *memoryUniqueness {
	return &memoryUniqueness{seen: make([]map[string]int, columns)}
}

func (m *memoryUniqueness) Claim(column int, key string, row int) (int, bool) {
	if m.seen[column] == nil {
		m.seen[column] = map[string]int{}
	}
	if first, ok := m.seen[column][key]; ok {
		return first, first != row
	}
	// Clone: the key is often a substring of a whole input record, which
	// the map would otherwise keep alive for the life of the import.
	m.seen[column][strings.Clone(key)] = row
	return row, false
}
