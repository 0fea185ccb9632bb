package cli

import (
	"bufio"
	"context"
	"io"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake/internal/delivery/destination"
	"github.com/intakehq/intake/internal/delivery/outbound"
	"github.com/intakehq/intake/internal/delivery/webhook"
	"github.com/intakehq/intake/internal/rows"
)

func TestWebhookListenNeedsASecret(t *testing.T) {
	t.Parallel()
	var errb strings.Builder
	for _, args := range [][]string{{"--addr", "127.0.0.1:0"}, {"--secret", "nope"}} {
		errb.Reset()
		if code := runWebhookListen(context.Background(), args, Streams{Out: io.Discard, Err: &errb}); code != exitInvalid {
			t.Errorf("%v: exit %d, want %d (%s)", args, code, exitInvalid, errb.String())
		}
	}
}

func TestWebhookListenPrintsVerifiedEvents(t *testing.T) {
	t.Parallel()
	secret := webhook.NewSecret()
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() {
		done <- runWebhookListen(ctx, []string{"--addr", "127.0.0.1:0", "--secret", secret}, Streams{Out: pw, Err: io.Discard})
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	lines.Scan()
	url, ok := strings.CutPrefix(lines.Text(), "listening on ")
	if !ok {
		t.Fatalf("first line %q", lines.Text())
	}
	policy := outbound.NewPolicy([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")})
	target, err := webhook.NewSender(policy, 5*time.Second).Target(webhook.Endpoint{URL: url, Secrets: []string{secret}})
	if err != nil {
		t.Fatal(err)
	}
	enc := webhook.NewEncoder(destination.Import{ID: "imp_1", Importer: "pub_1", Columns: []string{"a"}})
	go target.SendBatch(context.Background(), enc, "d", rows.Batch{Rows: [][]*string{{nil}}})
	lines.Scan()
	if want := "import.batch id=msg_d_0 import=imp_1 importer=pub_1 batch=0 rows=1 first_row=0"; lines.Text() != want {
		t.Fatalf("line %q, want %q", lines.Text(), want)
	}
	cancel()
	go io.Copy(io.Discard, pr)
	if code := <-done; code != exitOK {
		t.Fatalf("exit %d", code)
	}
}
