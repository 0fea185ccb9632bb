package cli

import (
	"context"
	"fmt"
	"net"
	"net/url"

	"github.com/intakehq/intake/internal/config"
	"github.com/intakehq/intake/internal/dashboard"
	"github.com/intakehq/intake/internal/store"
)

// printSetupLink prints the one-time first-run setup link while no user
// exists, so whoever started the server (and only they) can create the
// first organization. A restart prints a new link; the old one stops working.
//
// bound is the address serve listens on: with --addr :0 only it knows the
// port. Without a public URL the link is made from it.
func printSetupLink(ctx context.Context, cfg config.Config, bound net.Addr, st *store.Store, s Streams) error {
	token, ok, err := dashboard.IssueSetupToken(ctx, st)
	if err != nil || !ok {
		return err
	}
	base := cfg.PublicURL
	if base == "" {
		host, _, _ := net.SplitHostPort(cfg.Addr)
		_, port, _ := net.SplitHostPort(bound.String())
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "localhost"
		}
		scheme := "http"
		if cfg.TLS() {
			scheme = "https"
		}
		base = scheme + "://" + net.JoinHostPort(host, port)
	}
	_, err = fmt.Fprintf(s.Out, "\nNo account exists yet. Open this link to set up Intake (valid %s, works once):\n\n  %s/setup?token=%s\n\n",
		dashboard.SetupTokenTTL, base, url.QueryEscape(token))
	return err
}
