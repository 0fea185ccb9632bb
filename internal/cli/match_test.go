package cli

import (
	"context"
	"strings"
	"testing"
)

// TestMatchCommandFile: with --file the rows below the header give value
// hints, so a column of e-mail addresses under an unknown header is
// proposed for email, and --detail prints confidences and levels.
func TestMatchCommandFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tpl := writeFile(t, dir, "t.json", `{"columns": [{"key": "email", "label": "Email", "type": "email"}, {"key": "name", "label": "Name", "type": "text"}]}`)
	var rows strings.Builder
	rows.WriteString("\xEF\xBB\xBFContact,Full name\n")
	for _, n := range []string{"ann", "bob", "cy", "di", "ed", "fay"} {
		rows.WriteString(n + "@example.org," + n + "\n")
	}
	file := writeFile(t, dir, "f.csv", rows.String())
	for _, tc := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"--file", file}, exitOK, `{"Contact":"email","Full name":"name"}` + "\n"},
		{[]string{"--file", file, "--detail"}, exitOK, `[{"header":"Contact","key":"email","confidence":0.5,"level":"guess"},{"header":"Full name","key":"name","confidence":0.85,"level":"likely"}]` + "\n"},
		{[]string{"--headers", "Contact,Full name"}, exitOK, `{"Contact":null,"Full name":"name"}` + "\n"},
		{[]string{"--headers", "A", "--file", file}, exitInvalid, ""},
		{[]string{"--file", writeFile(t, dir, "empty.csv", "")}, exitFailure, ""},
	} {
		var out, errb strings.Builder
		code := runMatch(context.Background(), append([]string{"--template", tpl}, tc.args...), Streams{Out: &out, Err: &errb})
		if code != tc.code || out.String() != tc.out {
			t.Errorf("%v: exit %d out %q, want exit %d out %q (stderr %s)", tc.args, code, out.String(), tc.code, tc.out, errb.String())
		}
		if strings.Contains(errb.String(), "@example.org") {
			t.Errorf("%v: stderr quotes a value: %s", tc.args, errb.String())
		}
	}
}
