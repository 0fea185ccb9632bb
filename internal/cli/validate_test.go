package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const cliTemplate = `{"columns": [
  {"key": "email", "type": "email", "required": true, "unique": true, "unique_ignore_case": true},
  {"key": "amount", "type": "number", "min": 0},
  {"key": "joined", "type": "date", "formats": ["YYYY-MM-DD", "DD/MM/YYYY"]}
]}`

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestValidateCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tpl := writeFile(t, dir, "t.json", cliTemplate)
	const canary = "canary-7f3a9c@secret.example"
	tests := []struct {
		name     string
		args     []string
		stdin    string
		file     string // content written to data file, passed as last arg
		code     int
		out      string
		errMatch string
	}{
		{name: "valid CSV", file: "\xEF\xBB\xBFemail,amount,joined\nann@x.io,1.50,2025-03-04\nbob@x.io,,04/03/2025\n", code: exitOK, errMatch: "2 rows, 0 invalid"},
		{name: "invalid CSV", file: "joined,email,amount,extra\n2025-02-30,ann@x.io,-1,x\n2025-01-01,ANN@x.io,2,y\n,,3,z\n", code: exitInvalid,
			out: `{"row":1,"column":"amount","code":"too_small","params":{"min":"0"},"message":"Must be at least 0."}
{"row":1,"column":"joined","code":"invalid_date","params":{"formats":"YYYY-MM-DD | DD/MM/YYYY"},"message":"Must be a date (YYYY-MM-DD | DD/MM/YYYY)."}
{"row":2,"column":"email","code":"duplicate","params":{"row":"1"},"message":"Duplicate of row 1."}
{"row":3,"column":"email","code":"required","message":"A value is required."}
`, errMatch: `ignoring field "extra"`},
		{name: "JSON rows", file: ` [{"email": "ann@x.io", "amount": 12, "joined": null}, {"email": "` + canary[:7] + `", "amount": "1,000"}]`, code: exitInvalid,
			out: `{"row":2,"column":"email","code":"invalid_email","message":"Must be an email address."}` + "\n"},
		{name: "stdin", args: []string{"-"}, stdin: "email\nann@x.io\n", code: exitOK},
		{name: "value never echoed", file: "email,amount\n" + canary + ",not-a-number-" + canary + "\n", code: exitInvalid,
			out: `{"row":1,"column":"amount","code":"not_a_number","message":"Must be a number."}` + "\n"},
		{name: "missing file", args: []string{filepath.Join(dir, "nope.csv")}, code: exitFailure, errMatch: "no such file"},
		{name: "malformed CSV", file: "email\n\"ann@x.io\n", code: exitFailure, errMatch: "line"},
		{name: "JSON not objects", file: `[["ann@x.io"]]`, code: exitFailure, errMatch: "row 1: not a JSON object"},
		{name: "JSON nested value", file: `[{"email": {"a": 1}}]`, code: exitFailure, errMatch: `row 1, field "email"`},
		{name: "duplicate header", file: "email,email\na@x.io,b@x.io\n", code: exitFailure, errMatch: `column "email" twice`},
		{name: "empty file", file: "", code: exitFailure, errMatch: "no header row"},
		{name: "no file argument", args: []string{}, code: exitInvalid, errMatch: "Usage"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := []string{"--template", tpl}
			if tc.args != nil {
				args = append(args, tc.args...)
			} else {
				args = append(args, writeFile(t, t.TempDir(), "data", tc.file))
			}
			var out, errb strings.Builder
			code := runValidate(context.Background(), args, Streams{In: strings.NewReader(tc.stdin), Out: &out, Err: &errb})
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tc.code, errb.String())
			}
			if tc.out != "" && out.String() != tc.out {
				t.Errorf("stdout:\n%s\nwant:\n%s", out.String(), tc.out)
			}
			if !strings.Contains(errb.String(), tc.errMatch) {
				t.Errorf("stderr %q does not contain %q", errb.String(), tc.errMatch)
			}
			if strings.Contains(out.String()+errb.String(), "canary") {
				t.Errorf("a cell value leaked into the output: %s%s", out.String(), errb.String())
			}
		})
	}
}

func TestValidateCommandRefusesBadTemplate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tpl := writeFile(t, dir, "t.json", `{"columns": [{"key": "sku", "type": "regex", "pattern": "(?=x)x"}]}`)
	data := writeFile(t, dir, "d.csv", "sku\nx\n")
	var errb strings.Builder
	code := runValidate(context.Background(), []string{"--template", tpl, data}, Streams{In: strings.NewReader(""), Out: &strings.Builder{}, Err: &errb})
	if code != exitFailure || !strings.Contains(errb.String(), `column "sku": regex_unsupported`) {
		t.Errorf("exit %d, stderr %q; want exit 1 naming column sku and the rule", code, errb.String())
	}
}

func TestMatchCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tpl := writeFile(t, dir, "t.json", `{"columns": [
	  {"key": "email", "label": "Email", "type": "email"},
	  {"key": "first_name", "label": "First name", "type": "text", "synonyms": ["given name"]}]}`)
	tests := []struct {
		headers string
		code    int
		out     string
	}{
		{`Email consent,E-mail,"Given, name"`, exitOK, `{"Email consent":null,"E-mail":"email","Given, name":"first_name"}` + "\n"},
		{`Foo`, exitOK, `{"Foo":null}` + "\n"},
		{``, exitInvalid, ``},
	}
	for _, tc := range tests {
		var out, errb strings.Builder
		code := runMatch(context.Background(), []string{"--template", tpl, "--headers", tc.headers}, Streams{Out: &out, Err: &errb})
		if code != tc.code || out.String() != tc.out {
			t.Errorf("headers %q: exit %d out %q, want exit %d out %q (stderr %s)", tc.headers, code, out.String(), tc.code, tc.out, errb.String())
		}
	}
}
