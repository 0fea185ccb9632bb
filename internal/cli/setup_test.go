package cli

import (
	"bytes"
	"context"
	"io"
	"net"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/intakehq/intake/internal/config"
	"github.com/intakehq/intake/internal/store"
)

// TestPrintSetupLink: a fresh install prints a setup link whose token the
// store accepts, a new start replaces it, and once a user exists nothing is
// printed.
func TestPrintSetupLink(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{SQLitePath: filepath.Join(t.TempDir(), "intake.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := config.Config{Addr: "0.0.0.0:8080"}
	link := regexp.MustCompile(`http://localhost:8080/setup\?token=(setup_[a-z2-7]+)\n`)
	printLink := func() string {
		var out bytes.Buffer
		if err := printSetupLink(ctx, cfg, &net.TCPAddr{IP: net.IPv4zero, Port: 8080}, st, Streams{Out: &out, Err: io.Discard}); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	m := link.FindStringSubmatch(printLink())
	if m == nil {
		t.Fatal("no setup link printed on a fresh install")
	}
	second := link.FindStringSubmatch(printLink())
	if second == nil || second[1] == m[1] {
		t.Fatal("a new start did not print a new token")
	}
	if ok, _ := st.SetupTokenValid(ctx, store.HashSecret(m[1])); ok {
		t.Fatal("the replaced token still works")
	}
	if _, err := st.CompleteSetup(ctx, store.HashSecret(second[1]), "acme", "o@example.com", "hash"); err != nil {
		t.Fatalf("the printed token is refused: %v", err)
	}
	if out := printLink(); out != "" {
		t.Fatalf("printed %q although a user exists", out)
	}
}
