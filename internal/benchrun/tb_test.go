package benchrun

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
)

// A step ends at Fatal or Skip as a test does, runs its cleanups last
// first (its temporary folders removed), and returns what it reported.
func TestStep(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		end  func(tb testing.TB)
		want string
	}{
		{"passes", func(testing.TB) {}, ""},
		{"fatal", func(tb testing.TB) { tb.Fatalf("no %s", "luck") }, "step: no luck"},
		{"error then goes on", func(tb testing.TB) { tb.Error("bad") }, "step: bad"},
		{"skip", func(tb testing.TB) { tb.Skip("not here") }, "step: skipped: not here"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var order []string
			var dir string
			reached := false
			err := runStep(context.Background(), "step", io.Discard, func(tb testing.TB) {
				dir = tb.TempDir()
				tb.Cleanup(func() { order = append(order, "first") })
				tb.Cleanup(func() { order = append(order, "second") })
				tc.end(tb)
				reached = true
			})
			if got := ""; err != nil {
				got = err.Error()
				if got != tc.want {
					t.Errorf("error %q, want %q", got, tc.want)
				}
			} else if tc.want != "" {
				t.Errorf("no error, want %q", tc.want)
			}
			if strings.Join(order, ",") != "second,first" {
				t.Errorf("cleanups ran %v", order)
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("temporary folder %s left: %v", dir, err)
			}
			if ends := tc.name == "fatal" || tc.name == "skip"; reached == ends {
				t.Errorf("reached the end of the step: %v", reached)
			}
		})
	}
}
