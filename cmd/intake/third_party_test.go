package main

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestThirdPartyListsEveryModule: THIRD_PARTY.md names every module
// compiled into the intake and intake-bench binaries, at the version
// go.mod pins (scripts/third-party.sh rewrites it).
func TestThirdPartyListsEveryModule(t *testing.T) {
	doc, err := os.ReadFile("../../THIRD_PARTY.md")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if .Module}}{{if not .Module.Main}}{{.Module.Path}} {{.Module.Version}}{{end}}{{end}}", ".", "../intake-bench").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	mods := strings.Fields(string(out))
	if len(mods) < 20 {
		t.Fatalf("go list found %d words: the query is wrong", len(mods))
	}
	for i := 0; i+1 < len(mods); i += 2 {
		if !strings.Contains(string(doc), "| "+mods[i]+" | "+mods[i+1]+" |") {
			t.Errorf("THIRD_PARTY.md lacks %s %s: run scripts/third-party.sh", mods[i], mods[i+1])
		}
	}
}

// TestServerLinksNoTestCode: the server binary carries no test helper,
// test server or benchmark (they live in cmd/intake-bench).
func TestServerLinksNoTestCode(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 100 {
		t.Fatalf("go list found %d packages: the query is wrong", len(deps))
	}
	for _, pkg := range []string{"testing", "net/http/httptest", "github.com/intakehq/intake/internal/benchrun",
		"github.com/xuri/excelize/v2", "github.com/johannesboyne/gofakes3"} {
		if slices.Contains(deps, pkg) {
			t.Errorf("cmd/intake links %s", pkg)
		}
	}
}
