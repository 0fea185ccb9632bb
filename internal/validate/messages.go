package validate

import "strings"

// Error codes of cells and row rules. docs/templates.md lists each with its
// params; the conformance vectors pin them down for both engines.
const (
	CodeRequired        = "required"
	CodeTooShort        = "too_short"
	CodeTooLong         = "too_long"
	CodeNotANumber      = "not_a_number"
	CodeNotAnInteger    = "not_an_integer"
	CodeTooSmall        = "too_small"
	CodeTooLarge        = "too_large"
	CodeNotABoolean     = "not_a_boolean"
	CodeInvalidEmail    = "invalid_email"
	CodeInvalidURL      = "invalid_url"
	CodeInvalidPhone    = "invalid_phone"
	CodeInvalidDate     = "invalid_date"
	CodeInvalidDateTime = "invalid_datetime"
	CodeInvalidTime     = "invalid_time"
	CodeInvalidOption   = "invalid_option"
	CodePatternMismatch = "pattern_mismatch"
	CodeInvalidIP       = "invalid_ip"
	CodeInvalidCountry  = "invalid_country"
	CodeInvalidCurrency = "invalid_currency"
	CodeDuplicate       = "duplicate"
	CodeInvalidEncoding = "invalid_encoding"
	CodeRequiredIf      = "required_if"
	CodeOneOfRequired   = "one_of_required"
)

// messages are the English templates; {name} is replaced by params[name].
var messages = map[string]string{
	CodeRequired:        "A value is required.",
	CodeTooShort:        "Must be at least {min} characters.",
	CodeTooLong:         "Must be at most {max} characters.",
	CodeNotANumber:      "Must be a number.",
	CodeNotAnInteger:    "Must be a whole number.",
	CodeTooSmall:        "Must be at least {min}.",
	CodeTooLarge:        "Must be at most {max}.",
	CodeNotABoolean:     "Must be yes or no.",
	CodeInvalidEmail:    "Must be an email address.",
	CodeInvalidURL:      "Must be a web address (http or https).",
	CodeInvalidPhone:    "Must be a valid phone number.",
	CodeInvalidDate:     "Must be a date ({formats}).",
	CodeInvalidDateTime: "Must be a date and time ({formats}).",
	CodeInvalidTime:     "Must be a time ({formats}).",
	CodeInvalidOption:   "Must be one of the allowed values.",
	CodePatternMismatch: "Does not have the expected format.",
	CodeInvalidCountry:  "Must be a country (ISO code or English name).",
	CodeInvalidCurrency: "Must be an ISO 4217 currency code.",
	CodeDuplicate:       "Duplicate of row {row}.",
	CodeInvalidEncoding: "Not valid text (bad character encoding).",
	CodeRequiredIf:      "Required when {when} is filled in.",
	CodeOneOfRequired:   "At least one of {columns} is required.",
}

// Message renders an error in English from its code and params alone, so a
// message can never contain the cell value. Unknown codes render the code.
func Message(code string, params map[string]string) string {
	switch code {
	case CodePatternMismatch:
		if m := params["message"]; m != "" {
			return m
		}
	case CodeInvalidIP:
		switch params["version"] {
		case "4", "6":
			return "Must be an IPv" + params["version"] + " address."
		}
		return "Must be an IP address (IPv4 or IPv6)."
	}
	m, ok := messages[code]
	if !ok {
		return code
	}
	for k, v := range params {
		m = strings.ReplaceAll(m, "{"+k+"}", v)
	}
	return m
}
