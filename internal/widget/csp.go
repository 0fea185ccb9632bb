package widget

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// Content-Security-Policy of the importer pages. Scripts, styles, workers and
// requests are limited to Intake's own origin: the widget makes no request to
// any other host. frame-ancestors is appended per importer.
const pagePolicy = "default-src 'none'; script-src 'self'; worker-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'none'; base-uri 'none'"

// workerPolicy applies to the parsing worker, which fetches (uploads) and
// imports the lazily loaded XLS reader from Intake's origin only.
const workerPolicy = "default-src 'none'; script-src 'self'; connect-src 'self'"

// normalizeOrigin returns the canonical "scheme://host[:port]" form of an
// allowed origin, or an error for anything else (paths, wildcards, other
// schemes). Exact origins only: a suffix match is how peers got bitten.
func normalizeOrigin(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", fmt.Errorf("parse origin: %w", err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || strings.Contains(u.Host, "*") {
		return "", fmt.Errorf("origin must be scheme://host[:port]")
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}

// cspOrigin is the shape of an origin that may be written into a CSP
// header: lower-case scheme, a host name or bracketed IPv6 address, an
// optional port; no character that could end a directive or a source.
var cspOrigin = regexp.MustCompile(`^https?://([a-z0-9-]+(\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(:[0-9]{1,5})?$`)

// strictOrigin normalises an origin taken from a request and reports
// whether it is safe to write into a CSP header.
func strictOrigin(raw string) (string, bool) {
	o, err := normalizeOrigin(raw)
	if err != nil || !cspOrigin.MatchString(o) {
		return "", false
	}
	return o, true
}

// frameAncestors builds the frame-ancestors directive for an importer's
// allowed origins; invalid entries are skipped, none means 'self'.
func frameAncestors(allowed []string) string {
	parts := []string{"'self'"}
	for _, raw := range allowed {
		if o, err := normalizeOrigin(raw); err == nil {
			parts = append(parts, o)
		}
	}
	return "frame-ancestors " + strings.Join(parts, " ")
}

// originAllowed reports whether a host page origin may open the importer:
// one of its allowed origins, or Intake's own origin (selfHost).
func originAllowed(origin string, allowed []string, selfHost string) bool {
	o, err := normalizeOrigin(origin)
	if err != nil {
		return false
	}
	if u, _ := url.Parse(o); u != nil && strings.EqualFold(u.Host, selfHost) {
		return true
	}
	for _, raw := range allowed {
		if a, err := normalizeOrigin(raw); err == nil && a == o {
			return true
		}
	}
	return false
}
