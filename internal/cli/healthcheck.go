package cli

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// runHealthcheck: intake healthcheck [--path /healthz] [serve flags]. It asks
// the server that the same flags and INTAKE_* variables describe (on
// loopback when it listens on every interface) for a health page and exits 0 only on 200. It exists for the
// container's HEALTHCHECK: the distroless image has no shell, curl or wget,
// so the binary probes itself.
//
// Over TLS it does not verify the certificate: it dials an address, where
// a certificate for the public name would not match, it reads only the
// status, and it sends nothing secret.
func runHealthcheck(ctx context.Context, args []string, s Streams) int {
	var path string
	var timeout time.Duration
	cfg, code, ok := loadConfig("intake healthcheck", args, func(fs *flag.FlagSet) {
		fs.StringVar(&path, "path", "/healthz", "page to ask for: /healthz (alive) or /readyz (database and blob store answer)")
		fs.DurationVar(&timeout, "timeout", 3*time.Second, "give up after this long")
	}, s)
	if !ok {
		return code
	}
	if path != "/healthz" && path != "/readyz" {
		errorf(s, "healthcheck: --path is /healthz or /readyz")
		return exitInvalid
	}
	_, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		errorf(s, "healthcheck: --addr %q: %v", cfg.Addr, err)
		return exitInvalid
	}
	scheme := "http"
	if cfg.TLS() {
		scheme = "https"
	}
	u := scheme + "://" + net.JoinHostPort(probeHost(cfg.Addr), port) + path
	client := &http.Client{Timeout: timeout, Transport: &http.Transport{
		// With --domain the name is sent (SNI): automatic certificates
		// are chosen by it, and a hello without one gets none.
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true, ServerName: cfg.Domain}, //nolint:gosec // loopback self-probe, see above
		Proxy:           nil,
	}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		errorf(s, "healthcheck: %v", err)
		return exitFailure
	}
	resp, err := client.Do(req)
	if err != nil {
		errorf(s, "healthcheck: %v", err)
		return exitFailure
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<10))
	if resp.StatusCode != http.StatusOK {
		errorf(s, "healthcheck: %s answered %d", u, resp.StatusCode)
		return exitFailure
	}
	fmt.Fprintln(s.Out, "ok")
	return exitOK
}

// probeHost is the host that reaches a server listening on addr: loopback
// for a wildcard listener (127.0.0.1, or ::1 for ::) and for localhost,
// else the address it names (a listener bound to one interface answers
// only there).
func probeHost(addr string) string {
	host, _, _ := net.SplitHostPort(addr)
	switch ip := net.ParseIP(host); {
	case host == "" || host == "localhost":
		return "127.0.0.1"
	case ip != nil && ip.IsUnspecified() && ip.To4() == nil:
		return "::1"
	case ip != nil && ip.IsUnspecified():
		return "127.0.0.1"
	}
	return host
}
