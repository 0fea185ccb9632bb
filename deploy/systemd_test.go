package deploy_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestSystemdUnit: systemd's own checker finds nothing to say about
// deploy/systemd/intake.service (an unknown or misspelt key is a warning it
// prints), with the binary the Dockerfile builds in place of
// /usr/local/bin/intake; and each command the unit runs is one the binary
// accepts (its flags are checked with --help, which runs nothing).
func TestSystemdUnit(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		skipOrFail(t, "systemd-analyze is not installed (systemd)")
	}
	unit, err := os.ReadFile("systemd/intake.service")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(buildStage(t), "intake")
	path := filepath.Join(t.TempDir(), "intake.service")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(unit), "/usr/local/bin/intake", bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("systemd-analyze", "verify", path).CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	execs := regexp.MustCompile(`(?m)^Exec[A-Za-z]*=/usr/local/bin/intake (.*)$`).FindAllStringSubmatch(string(unit), -1)
	if len(execs) < 2 {
		t.Fatalf("the unit runs %d intake commands, want migrate and serve", len(execs))
	}
	for _, m := range execs {
		args := append(strings.Fields(m[1]), "--help")
		if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
			t.Errorf("intake %s: %v\n%s", m[1], err, out)
		}
	}
}
