package outbound

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// Control is a net.Dialer Control function. The dialer calls it for every
// address it is about to connect to, after name resolution, so the decision
// is made on the address actually dialled; this is what defeats DNS
// rebinding and odd resolver spellings.
func (p *Policy) Control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot parse dialled address: %w", ErrForbidden, err)
	}
	switch network {
	case "tcp", "tcp4", "tcp6", "udp", "udp4", "udp6":
	default:
		return fmt.Errorf("%w: network %q", ErrForbidden, network)
	}
	return p.Check(ap.Addr())
}

// Dialer returns a dialer guarded by the policy. Every outbound connection
// Intake opens (webhook, S3, PostgreSQL) goes through one of these.
func (p *Policy) Dialer(timeout time.Duration) *net.Dialer {
	return &net.Dialer{
		Timeout:   timeout,
		KeepAlive: 30 * time.Second,
		Control:   p.Control,
	}
}

// DialContext dials through the guard after checking the host's spelling,
// with a signature that fits pgx's DialFunc and http.Transport.
func (p *Policy) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", network, err)
	}
	if err := p.CheckHost(host); err != nil {
		return nil, err
	}
	return p.Dialer(10*time.Second).DialContext(ctx, network, address)
}

// ClientOptions tunes the guarded HTTP client. Zero values take defaults.
type ClientOptions struct {
	// Timeout bounds a whole request, response body included (default 15 s,
	// the time a receiver gets to answer a delivery).
	Timeout time.Duration
	// TLS overrides the TLS configuration, for a private CA or tests that
	// trust a local certificate. Verification is forced on regardless.
	TLS *tls.Config
}

// HTTPClient returns an HTTP client for destinations: guarded dialer, no
// proxy from the environment (a proxy would connect on our behalf, past the
// guard), no redirects followed (a 3xx is returned to the caller, which
// treats it as a failed attempt), TLS verification on, and timeouts.
func (p *Policy) HTTPClient(o ClientOptions) *http.Client {
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.TLS != nil {
		tlsConf = o.TLS.Clone()
		tlsConf.InsecureSkipVerify = false
	}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           p.DialContext,
		TLSClientConfig:       tlsConf,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: timeout,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
