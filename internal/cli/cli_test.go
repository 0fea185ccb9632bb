package cli

import (
	"context"
	"io"
	"strings"
	"testing"
)

// Every subcommand answers -h with its usage and status 0, and an unknown flag
// with status 2, so scripts can tell asking for help from a mistake.
func TestFlagsHelpAndMistake(t *testing.T) {
	for name := range commands {
		t.Run(name, func(t *testing.T) {
			var errw strings.Builder
			if code := Run(context.Background(), []string{name, "-h"}, strings.NewReader(""), io.Discard, &errw); code != exitOK {
				t.Errorf("%s -h: exit %d, want %d", name, code, exitOK)
			}
			if !strings.Contains(errw.String(), "Usage") && !strings.Contains(errw.String(), "-") {
				t.Errorf("%s -h printed no usage: %q", name, errw.String())
			}
			if code := Run(context.Background(), []string{name, "--no-such-flag"}, strings.NewReader(""), io.Discard, io.Discard); code != exitInvalid {
				t.Errorf("%s --no-such-flag: exit %d, want %d", name, code, exitInvalid)
			}
		})
	}
}
