package template

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

var keyPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// commonFields are allowed on every column; typeFields lists each type's options.
var (
	commonFields = []string{"key", "label", "description", "type", "required", "unique", "unique_ignore_case", "default", "synonyms"}
	typeFields   = map[Type][]string{
		Text:      {"min_length", "max_length"},
		Number:    {"min", "max", "integer", "decimal_separator", "thousands_separator"},
		Boolean:   {"true_value", "false_value"},
		Email:     nil,
		URL:       nil,
		Phone:     {"default_region"},
		Date:      {"formats", "excel_serial"},
		DateTime:  {"formats", "excel_serial"},
		Time:      {"formats"},
		Enum:      {"options", "case_sensitive", "allow_other"},
		MultiEnum: {"options", "case_sensitive", "allow_other", "delimiter"},
		Regex:     {"pattern", "message"},
		IP:        {"version"},
		Country:   nil,
		Currency:  nil,
	}
)

// Default formats of the date-like types (docs/templates.md).
var defaultFormats = map[Type][]string{
	Date:     {"YYYY-MM-DD"},
	DateTime: {"YYYY-MM-DD[T]HH:mm:ss", "YYYY-MM-DD HH:mm:ss", "YYYY-MM-DD[T]HH:mm:ssZ"},
	Time:     {"HH:mm:ss", "HH:mm"},
}

// MaxOptions bounds an enum's option list.
const MaxOptions = 10000

// Parse decodes and checks a template. A refused template gives an *Error
// naming the column and the rule (errors.Is(err, ErrInvalid) holds). Parse
// fills every default, so the returned template is fully resolved. Defaults
// are checked against their type by validate.Compile, which a template must
// also pass before it is accepted.
func Parse(data []byte) (*Template, error) {
	var raw struct {
		Columns []json.RawMessage `json:"columns"`
		Rules   []json.RawMessage `json:"rules"`
	}
	if err := decodeStrict(data, &raw); err != nil {
		if field, ok := unknownField(err); ok {
			return nil, errorf("", CodeUnknownField, "unknown field %q", field)
		}
		return nil, errorf("", CodeInvalidJSON, "%v", err)
	}
	if len(raw.Columns) == 0 {
		return nil, errorf("", CodeNoColumns, "a template needs at least one column")
	}
	if len(raw.Columns) > MaxColumns {
		return nil, errorf("", CodeTooManyColumns, "%d columns, at most %d", len(raw.Columns), MaxColumns)
	}
	t := &Template{Columns: make([]Column, 0, len(raw.Columns))}
	seen := map[string]bool{}
	for i, rc := range raw.Columns {
		c, err := parseColumn(i, rc)
		if err != nil {
			return nil, err
		}
		if seen[c.Key] {
			return nil, errorf(c.Key, CodeDuplicateKey, "key used by another column")
		}
		seen[c.Key] = true
		t.Columns = append(t.Columns, c)
	}
	for i, rr := range raw.Rules {
		r, err := parseRule(t, i, rr)
		if err != nil {
			return nil, err
		}
		t.Rules = append(t.Rules, r)
	}
	return t, nil
}

// decodeStrict decodes one JSON object into the struct v, refusing unknown
// fields and trailing data. Field names must match v's json tags exactly:
// encoding/json would take "Columns" or "VALUE" for them, and the widget's
// engine (JSON.parse, then exact names) refuses them, so a template would
// pass one engine and fail the other.
func decodeStrict(data []byte, v any) error {
	var fields map[string]json.RawMessage
	if json.Unmarshal(data, &fields) == nil { // not an object: Decode says why
		known := jsonNames(reflect.TypeOf(v).Elem())
		for _, name := range slices.Sorted(maps.Keys(fields)) {
			if !known[name] {
				return fmt.Errorf("json: unknown field %q", name)
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the JSON value")
	}
	return nil
}

// jsonNames returns the JSON names of struct type t's fields.
func jsonNames(t reflect.Type) map[string]bool {
	names := map[string]bool{}
	for f := range t.Fields() {
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
			names[name] = true
		}
	}
	return names
}

// unknownField extracts the field name of encoding/json's unknown-field error.
func unknownField(err error) (string, bool) {
	msg := err.Error()
	const prefix = "json: unknown field "
	if !strings.HasPrefix(msg, prefix) {
		return "", false
	}
	return strings.Trim(strings.TrimPrefix(msg, prefix), `"`), true
}

func parseColumn(i int, data json.RawMessage) (Column, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return Column{}, errorf("", CodeInvalidJSON, "column %d is not a JSON object", i)
	}
	var key string
	if err := json.Unmarshal(fields["key"], &key); err != nil || key == "" {
		return Column{}, errorf("", CodeInvalidKey, "column %d has no key", i)
	}
	if !keyPattern.MatchString(key) {
		return Column{}, errorf(key, CodeInvalidKey, "a key is a lower-case letter then up to 63 of a-z, 0-9, _")
	}
	var typ Type
	if err := json.Unmarshal(fields["type"], &typ); err != nil {
		return Column{}, errorf(key, CodeUnknownType, "type is missing or not a string")
	}
	allowed, ok := typeFields[typ]
	if !ok {
		return Column{}, errorf(key, CodeUnknownType, "type %q is not one of %s", typ, typeList())
	}
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if slices.Contains(commonFields, name) || slices.Contains(allowed, name) {
			continue
		}
		if isTypeField(name) {
			return Column{}, errorf(key, CodeInvalidOption, "option %q does not apply to type %s", name, typ)
		}
		return Column{}, errorf(key, CodeUnknownField, "unknown field %q", name)
	}
	var c Column
	if err := decodeStrict(data, &c); err != nil {
		return Column{}, errorf(key, CodeInvalidOption, "%v", err)
	}
	has := func(name string) bool { _, ok := fields[name]; return ok }
	if err := c.resolve(has); err != nil {
		return Column{}, err
	}
	return c, nil
}

func isTypeField(name string) bool {
	for _, fs := range typeFields {
		if slices.Contains(fs, name) {
			return true
		}
	}
	return false
}

func typeList() string {
	names := make([]string, 0, len(typeFields))
	for t := range typeFields {
		names = append(names, string(t))
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// resolve checks the column's options and fills their defaults; has tells
// which fields the JSON spelled out.
func (c *Column) resolve(has func(string) bool) error {
	bad := func(format string, a ...any) error { return errorf(c.Key, CodeInvalidOption, format, a...) }
	if c.Label == "" {
		c.Label = c.Key
	}
	if len(c.Synonyms) == 0 {
		c.Synonyms = nil // "synonyms": [] and no synonyms are the same template
	}
	if c.UniqueIgnoreCase && !c.Unique {
		return bad("unique_ignore_case needs unique")
	}
	if c.Default != nil && c.Unique {
		return bad("a unique column cannot have a default")
	}
	switch c.Type {
	case Text:
		if (c.MinLength != nil && *c.MinLength < 0) || (c.MaxLength != nil && *c.MaxLength < 0) {
			return bad("min_length and max_length cannot be negative")
		}
		if c.MinLength != nil && c.MaxLength != nil && *c.MinLength > *c.MaxLength {
			return bad("min_length is over max_length")
		}
	case Number:
		return c.resolveNumber(has, bad)
	case Boolean:
		if !has("true_value") {
			c.TrueValue = "true"
		}
		if !has("false_value") {
			c.FalseValue = "false"
		}
		if c.TrueValue == "" || c.FalseValue == "" || c.TrueValue == c.FalseValue {
			return bad("true_value and false_value must be two different non-empty strings")
		}
	case Phone:
		if has("default_region") && !phonenumbers.GetSupportedRegions()[c.DefaultRegion] {
			return bad("default_region %q is not a supported ISO 3166 region", c.DefaultRegion)
		}
	case Date, DateTime, Time:
		return c.resolveDates(has, bad)
	case Enum, MultiEnum:
		return c.resolveOptions(has, bad)
	case Regex:
		if c.Pattern == "" {
			return bad("pattern is required")
		}
		if _, err := CompileRegex(c.Pattern); err != nil {
			code := CodeRegexUnsupported
			if errors.Is(err, errRegexInvalid) {
				code = CodeRegexInvalid
			}
			return errorf(c.Key, code, "%v", err)
		}
	case IP:
		if !has("version") {
			c.Version = "any"
		}
		if c.Version != "4" && c.Version != "6" && c.Version != "any" {
			return bad(`version must be "4", "6" or "any"`)
		}
	}
	return nil
}

func (c *Column) resolveNumber(has func(string) bool, bad func(string, ...any) error) error {
	if !has("decimal_separator") {
		c.DecimalSeparator = "."
	}
	if c.DecimalSeparator != "." && c.DecimalSeparator != "," {
		return bad(`decimal_separator must be "." or ","`)
	}
	if !has("thousands_separator") {
		c.ThousandsSeparator = ","
		if c.DecimalSeparator == "," {
			c.ThousandsSeparator = "."
		}
	}
	switch c.ThousandsSeparator {
	case ",", ".", " ", "'", "":
	default:
		return bad(`thousands_separator must be ",", ".", " ", "'" or ""`)
	}
	if c.ThousandsSeparator == c.DecimalSeparator {
		return bad("decimal_separator and thousands_separator must differ")
	}
	if c.Min != nil && c.Max != nil && CompareDecimal(string(*c.Min), string(*c.Max)) > 0 {
		return bad("min is over max")
	}
	return nil
}

func (c *Column) resolveDates(has func(string) bool, bad func(string, ...any) error) error {
	if !has("formats") {
		c.Formats = slices.Clone(defaultFormats[c.Type])
	}
	if len(c.Formats) == 0 {
		return errorf(c.Key, CodeInvalidFormat, "formats is empty")
	}
	for _, f := range c.Formats {
		if _, err := ParseDateFormat(f, c.Type); err != nil {
			return errorf(c.Key, CodeInvalidFormat, "%v", err)
		}
	}
	if c.Type == Time {
		return nil
	}
	if !has("excel_serial") {
		c.ExcelSerial = "1900"
	}
	if c.ExcelSerial != "1900" && c.ExcelSerial != "1904" && c.ExcelSerial != "off" {
		return bad(`excel_serial must be "1900", "1904" or "off"`)
	}
	return nil
}

func (c *Column) resolveOptions(has func(string) bool, bad func(string, ...any) error) error {
	if len(c.Options) == 0 || len(c.Options) > MaxOptions {
		return bad("options needs 1 to %d entries", MaxOptions)
	}
	if c.Type == MultiEnum {
		if !has("delimiter") {
			c.Delimiter = ","
		}
		r, size := utf8.DecodeRuneInString(c.Delimiter)
		if size == 0 || size != len(c.Delimiter) || IsSpace(r) {
			return bad("delimiter must be one character that is not whitespace")
		}
	}
	key := func(s string) string {
		if c.CaseSensitive {
			return s
		}
		return Fold(s)
	}
	values, labels := map[string]bool{}, map[string]bool{}
	for i, o := range c.Options {
		for _, s := range []string{o.Value, o.Label} {
			if s == "" || Trim(s) != s {
				return bad("option %d: value and label must be non-empty without surrounding whitespace", i)
			}
			if c.Type == MultiEnum && strings.Contains(s, c.Delimiter) {
				return bad("option %d contains the delimiter", i)
			}
		}
		if values[key(o.Value)] {
			return bad("option %d: duplicate value", i)
		}
		if labels[key(o.Label)] {
			return bad("option %d: duplicate label", i)
		}
		values[key(o.Value)], labels[key(o.Label)] = true, true
	}
	return nil
}

func parseRule(t *Template, i int, data json.RawMessage) (RowRule, error) {
	name := fmt.Sprintf("rule %d", i)
	var r RowRule
	if err := decodeStrict(data, &r); err != nil {
		return r, errorf(name, CodeInvalidRule, "%v", err)
	}
	exists := func(key string) error {
		if t.Index(key) < 0 {
			return errorf(name, CodeUnknownColumn, "no column has key %q", key)
		}
		return nil
	}
	switch r.Rule {
	case RuleRequiredIf:
		if len(r.Columns) > 0 {
			return r, errorf(name, CodeInvalidRule, "required_if takes column, when and equals, not columns")
		}
		if err := exists(r.Column); err != nil {
			return r, err
		}
		if err := exists(r.When); err != nil {
			return r, err
		}
		if r.Column == r.When {
			return r, errorf(name, CodeInvalidRule, "required_if cannot depend on its own column")
		}
	case RuleOneOfRequired:
		if r.Column != "" || r.When != "" || r.Equals != nil {
			return r, errorf(name, CodeInvalidRule, "one_of_required takes columns only")
		}
		if len(r.Columns) < 2 {
			return r, errorf(name, CodeInvalidRule, "one_of_required needs at least two columns")
		}
		for j, k := range r.Columns {
			if err := exists(k); err != nil {
				return r, err
			}
			if slices.Contains(r.Columns[:j], k) {
				return r, errorf(name, CodeInvalidRule, "column %q listed twice", k)
			}
		}
	default:
		return r, errorf(name, CodeInvalidRule, "rule must be %q or %q", RuleRequiredIf, RuleOneOfRequired)
	}
	if len(r.Equals) == 0 {
		r.Equals = nil // "equals": [] means any value, as does no equals
	}
	return r, nil
}
