package fileimport_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/intakehq/intake/internal/server/servertest"
)

// A file's encoding is detected on the whole of it, as the widget does,
// though the job no longer reads it all again for that (the upload is
// checked as it is stored): a UTF-8 character cut by the 1 MiB segment
// boundary keeps the file UTF-8, and one Windows-1252 byte in its last
// row makes all of it Windows-1252.
func TestFileEncodingOnTheWholeFile(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	env.StartJobs(t)
	im := newImporter(t, env, nil)

	var b strings.Builder
	b.WriteString("Identifier,E-mail address,Name\n")
	row := 0
	for b.Len() < 1<<20-100 {
		fmt.Fprintf(&b, "%d,user%d@example.com,n\n", row, row)
		row++
	}
	cut := row // its "é" starts at the segment's last byte
	start := fmt.Sprintf("%d,user%d@example.com,", row, row)
	fmt.Fprintf(&b, "%s%sé\n", start, strings.Repeat("x", 1<<20-1-b.Len()-len(start)))
	row++
	for range 10 {
		fmt.Fprintf(&b, "%d,user%d@example.com,n\n", row, row)
		row++
	}
	head := b.String()
	for _, tc := range []struct {
		name, last, wantCut, wantLast string
	}{
		{"utf-8", "Zoé", "xé", "Zoé"},
		{"windows-1252", "Zo\xe9", "xÃ©", "Zoé"},
	} {
		file := head + fmt.Sprintf("%d,user%d@example.com,%s\n", row, row, tc.last)
		code, answer := postFile(t, env, im.ID, "name=people.csv", strings.NewReader(file), "text/csv")
		if code != http.StatusAccepted {
			t.Fatalf("%s: post file: %d %s", tc.name, code, answer)
		}
		st := wait(t, env, importID(t, answer))
		if st.File.State != "completed" || st.Rows != int64(row+1) {
			t.Fatalf("%s: %+v %+v", tc.name, st, *st.File)
		}
		for at, want := range map[int]string{cut: tc.wantCut, row: tc.wantLast} {
			if code, page := get(t, env, fmt.Sprintf("/api/v1/imports/%s/rows?offset=%d&limit=1", st.ID, at)); code != 200 ||
				!strings.Contains(page, want) {
				t.Errorf("%s: row %d: %d %s, want %q", tc.name, at, code, page, want)
			}
		}
	}
}
