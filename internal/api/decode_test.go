package api

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestDecodeErrorsEchoNothingOfTheClient: a refused body's error names the
// request's own fields and JSON kinds only, never a key the client sent (it
// may hold a cell value) nor a Go type name.
func TestDecodeErrorsEchoNothingOfTheClient(t *testing.T) {
	t.Parallel()
	type request struct {
		Rows     int            `json:"rows"`
		Name     string         `json:"name"`
		Metadata map[string]int `json:"metadata"`
	}
	for _, tt := range []struct {
		name, body, want string
	}{
		{"unknown key", `{"rows":1,"Ann.Lee@example.com":1}`, "a field this endpoint does not take"},
		{"wrong type", `{"rows":"many"}`, `field "rows" must be a whole number`},
		{"wrong type, string", `{"name":12}`, `field "name" must be a string`},
		{"a map key is the client's", `{"metadata":{"Ann.Lee@example.com":"x"}}`, `field "metadata" must be a whole number`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", strings.NewReader(tt.body))
			var v request
			err := decode(httptest.NewRecorder(), r, 1<<10, &v)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("decode %s: %v, want an API error", tt.body, err)
			}
			if !strings.Contains(e.Message, tt.want) {
				t.Errorf("message %q, want it to say %q", e.Message, tt.want)
			}
			for _, leak := range []string{"Ann.Lee", "int64", "string ", "api.request", "map["} {
				if strings.Contains(e.Message, leak) {
					t.Errorf("message %q holds %q", e.Message, leak)
				}
			}
		})
	}
}
