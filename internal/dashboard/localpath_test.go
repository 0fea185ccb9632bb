package dashboard

import "testing"

// TestLocalPath: the sign-in redirect stays on Intake, for the open-redirect
// payloads of public lists (tabs, line breaks, backslashes, scheme-relative
// and encoded forms) and keeps ordinary paths with their queries.
func TestLocalPath(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ next, want string }{
		{"/imports/imp_1?page=2", "/imports/imp_1?page=2"},
		{"/destinations#new", "/destinations#new"},
		{"/team", "/team"},
		{"", "/imports"},
		{"//evil.example", "/imports"},
		{"///evil.example", "/imports"},
		{"/\t/evil.example/path", "/imports"}, // finding 3: read as //evil.example
		{"/\n/evil.example", "/imports"},
		{"/\r/evil.example", "/imports"},
		{"/\x00/evil.example", "/imports"},
		{"/\x7f/evil.example", "/imports"},
		{"/\u200b/evil.example", "/imports"}, // zero-width space (format character)
		{"/\\evil.example", "/imports"},
		{"/\\/evil.example", "/imports"},
		{"\\\\evil.example", "/imports"},
		{"https://evil.example", "/imports"},
		{"http:/evil.example", "/imports"},
		{"javascript:alert(1)", "/imports"},
		{"evil.example", "/imports"},
		{"/%2F/evil.example", "/imports"},
		{"/%2f%2fevil.example", "/imports"},
		{" /imports", "/imports"},
		{"/@evil.example", "/@evil.example"}, // a path on Intake, not user info
	} {
		if got := localPath(tt.next); got != tt.want {
			t.Errorf("localPath(%q) = %q, want %q", tt.next, got, tt.want)
		}
	}
}
