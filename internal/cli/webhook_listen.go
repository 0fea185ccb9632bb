package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/intakehq/intake/internal/delivery/webhook"
)

// runWebhookListen: intake webhook-listen --addr 127.0.0.1:9000 --secret whsec_…
// A receiver for trying a webhook destination out; the work is done by
// webhook.Listener.
func runWebhookListen(ctx context.Context, args []string, s Streams) int {
	fs := flag.NewFlagSet("intake webhook-listen", flag.ContinueOnError)
	fs.SetOutput(s.Err)
	addr := fs.String("addr", "127.0.0.1:9000", "address to listen on")
	secret := fs.String("secret", "", "signing secret(s) whsec_…, comma-separated during a rotation (or INTAKE_WEBHOOK_SECRET)")
	showRows := fs.Bool("show-rows", false, "print each payload in full (rows are end users' data)")
	tolerance := fs.Duration("tolerance", 5*time.Minute, "accepted clock skew of webhook-timestamp")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if *secret == "" {
		*secret, _ = os.LookupEnv("INTAKE_WEBHOOK_SECRET")
	}
	secrets := strings.FieldsFunc(*secret, func(r rune) bool { return r == ',' || r == ' ' })
	if len(secrets) == 0 {
		errorf(s, "webhook-listen: --secret or INTAKE_WEBHOOK_SECRET is required")
		return exitInvalid
	}
	if _, err := webhook.NewSigner(secrets...); err != nil {
		errorf(s, "webhook-listen: %v", err)
		return exitInvalid
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		errorf(s, "webhook-listen: %v", err)
		return exitFailure
	}
	srv := &http.Server{
		Handler:           &webhook.Listener{Secrets: secrets, Out: s.Out, ShowRows: *showRows, Tolerance: *tolerance},
		ReadHeaderTimeout: 10 * time.Second,
	}
	fmt.Fprintf(s.Out, "listening on http://%s\n", ln.Addr())
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		errorf(s, "webhook-listen: %v", err)
		return exitFailure
	}
	return exitOK
}
