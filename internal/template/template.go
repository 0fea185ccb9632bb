// Package template is Intake's template format: the JSON document that says
// which columns an importer wants and what a valid value is. Parse decodes a
// template and refuses a bad one with an error naming the column and the
// rule; internal/validate executes it. The format, the date-format language
// and the regex subset are specified in docs/templates.md, which the widget's
// TypeScript engine follows too.
//
// A template is configuration, not user data, but this package still never
// echoes a whole template or a default value back in an error: errors name
// the column, the rule and the offending option only.
package template

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Type is a column type; the set is closed and documented in docs/templates.md.
type Type string

// The column types.
const (
	Text      Type = "text"
	Number    Type = "number"
	Boolean   Type = "boolean"
	Email     Type = "email"
	URL       Type = "url"
	Phone     Type = "phone"
	Date      Type = "date"
	DateTime  Type = "datetime"
	Time      Type = "time"
	Enum      Type = "enum"
	MultiEnum Type = "multi_enum"
	Regex     Type = "regex"
	IP        Type = "ip"
	Country   Type = "country"
	Currency  Type = "currency"
)

// Rule names of row-level rules.
const (
	RuleRequiredIf    = "required_if"
	RuleOneOfRequired = "one_of_required"
)

// MaxColumns bounds a template so that a hostile one cannot make every row
// expensive to validate.
const MaxColumns = 500

// Template is a parsed, checked template. Parse fills every option's default,
// so consumers read resolved values and never re-implement defaults.
type Template struct {
	Columns []Column  `json:"columns"`
	Rules   []RowRule `json:"rules,omitempty"`
}

// Column is one column of a template: its identity, its type and the type's
// options. Only the options of the column's type are ever set.
type Column struct {
	Key              string   `json:"key"`
	Label            string   `json:"label,omitempty"`
	Description      string   `json:"description,omitempty"`
	Type             Type     `json:"type"`
	Required         bool     `json:"required,omitempty"`
	Unique           bool     `json:"unique,omitempty"`
	UniqueIgnoreCase bool     `json:"unique_ignore_case,omitempty"`
	Default          *string  `json:"default,omitempty"`
	Synonyms         []string `json:"synonyms,omitempty"`

	// text
	MinLength *int `json:"min_length,omitempty"`
	MaxLength *int `json:"max_length,omitempty"`

	// number; Min and Max hold canonical decimal strings.
	Min                *Decimal `json:"min,omitempty"`
	Max                *Decimal `json:"max,omitempty"`
	Integer            bool     `json:"integer,omitempty"`
	DecimalSeparator   string   `json:"decimal_separator,omitempty"`
	ThousandsSeparator string   `json:"thousands_separator,omitempty"`

	// boolean
	TrueValue  string `json:"true_value,omitempty"`
	FalseValue string `json:"false_value,omitempty"`

	// phone
	DefaultRegion string `json:"default_region,omitempty"`

	// date, datetime, time
	Formats     []string `json:"formats,omitempty"`
	ExcelSerial string   `json:"excel_serial,omitempty"`

	// enum, multi_enum
	Options       []Option `json:"options,omitempty"`
	CaseSensitive bool     `json:"case_sensitive,omitempty"`
	AllowOther    bool     `json:"allow_other,omitempty"`
	Delimiter     string   `json:"delimiter,omitempty"`

	// regex
	Pattern string `json:"pattern,omitempty"`
	Message string `json:"message,omitempty"`

	// ip
	Version string `json:"version,omitempty"`
}

// MarshalJSON writes the column back as Parse would read it. It keeps an
// empty thousands_separator on number columns, where "" means "none" and
// leaving it out would bring back the default ",".
func (c Column) MarshalJSON() ([]byte, error) {
	type plain Column
	if c.Type != Number {
		return json.Marshal(plain(c))
	}
	return json.Marshal(struct {
		plain
		ThousandsSeparator string `json:"thousands_separator"`
	}{plain(c), c.ThousandsSeparator})
}

// Option is one allowed value of an enum or multi_enum column. In JSON it is
// either {"value": …, "label": …} or a plain string meaning value = label.
type Option struct {
	Value string `json:"value"`
	Label string `json:"label,omitempty"`
}

// UnmarshalJSON accepts the plain-string shorthand as well as the object.
func (o *Option) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*o = Option{Value: s, Label: s}
		return nil
	}
	type plain Option
	var p plain
	if err := decodeStrict(b, &p); err != nil {
		return err
	}
	*o = Option(p)
	if o.Label == "" {
		o.Label = o.Value
	}
	return nil
}

// RowRule is a rule between columns of one row.
type RowRule struct {
	Rule    string   `json:"rule"`
	Column  string   `json:"column,omitempty"`
	When    string   `json:"when,omitempty"`
	Equals  []string `json:"equals,omitempty"`
	Columns []string `json:"columns,omitempty"`
}

// Keys returns the column keys in template order: the order cells are given
// to the engine and the names of delivered fields.
func (t *Template) Keys() []string {
	keys := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		keys[i] = c.Key
	}
	return keys
}

// Index returns the position of the column with the given key, or -1.
func (t *Template) Index(key string) int {
	for i, c := range t.Columns {
		if c.Key == key {
			return i
		}
	}
	return -1
}

// Template check error codes; docs/templates.md lists them and
// testdata/conformance/templates/ pins them down for both engines.
const (
	CodeInvalidJSON      = "invalid_json"
	CodeNoColumns        = "no_columns"
	CodeTooManyColumns   = "too_many_columns"
	CodeUnknownField     = "unknown_field"
	CodeInvalidKey       = "invalid_key"
	CodeDuplicateKey     = "duplicate_key"
	CodeUnknownType      = "unknown_type"
	CodeInvalidOption    = "invalid_option"
	CodeInvalidFormat    = "invalid_format"
	CodeRegexInvalid     = "regex_invalid"
	CodeRegexUnsupported = "regex_unsupported"
	CodeInvalidDefault   = "invalid_default"
	CodeInvalidRule      = "invalid_rule"
	CodeUnknownColumn    = "unknown_column"
)

// ErrInvalid is wrapped by every *Error so callers can branch with errors.Is
// (the server answers 422 for it).
var ErrInvalid = errors.New("invalid template")

// Error is why a template was refused. Column is the offending column's key
// ("" for template-wide problems, "rule N" for a row rule), Code one of the
// Code constants, Detail a sentence about the rule.
type Error struct {
	Column string
	Code   string
	Detail string
}

func (e *Error) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("template: %s: %s", e.Code, e.Detail)
	}
	if strings.HasPrefix(e.Column, "rule ") {
		return fmt.Sprintf("template: %s: %s: %s", e.Column, e.Code, e.Detail)
	}
	return fmt.Sprintf("template: column %q: %s: %s", e.Column, e.Code, e.Detail)
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *Error) Unwrap() error { return ErrInvalid }

func errorf(column, code, format string, args ...any) *Error {
	return &Error{Column: column, Code: code, Detail: fmt.Sprintf(format, args...)}
}
