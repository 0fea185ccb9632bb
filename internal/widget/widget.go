// Package widget serves Intake's importer widget: the embed.js loader a host
// page includes, the importer page it opens in an iframe (/embed/{importer}),
// the hosted page a team can link to (/i/{importer}), the demo (/demo) and the
// built assets under checksummed URLs.
//
// The assets are the committed build of web/widget (see scripts/widget-check.sh),
// embedded so that `go build` needs no Node. The package never sees rows: the
// widget parses files in the browser and sends rows to the upload API, which
// lives elsewhere (internal/api). Its one security duty is framing: a page is
// only ever framed by the origins the importer allows (CSP frame-ancestors).
package widget

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
)

// ErrNotFound is what a Lookup wraps for an unknown or deleted importer key;
// the handlers answer 404 for it and 500 for any other error.
var ErrNotFound = errors.New("importer not found")

// DemoImporterKey is the importer /demo opens. The server ensures an importer
// with this key exists (with DemoTemplate) when the demo is enabled.
const DemoImporterKey = "imp_demo"

// Importer is what the widget needs to know about one importer. It is public
// configuration: everything in it is sent to the end user's browser.
type Importer struct {
	// Key is the importer's public key, "imp_…".
	Key string
	// Name is shown as the widget's title.
	Name string
	// Template is the importer's template JSON (docs/templates.md), passed
	// to the widget's rule engine unchanged.
	Template json.RawMessage
	// Mode is stored, bypass, e2e or client; the widget branches on client
	// (rows go to the host page, not the upload API) and e2e (chunks are
	// encrypted to Recipients before they leave the browser).
	Mode string
	// Recipients are an e2e importer's age public keys (public, as the
	// rest of this struct).
	Recipients []string
	// AllowedOrigins are the origins that may frame the importer (CSP
	// frame-ancestors), such as "https://app.example.com". Empty means
	// only Intake's own origin.
	AllowedOrigins []string
	// AllowInvalid lets the end user submit rows that still have errors.
	AllowInvalid bool
	// MaxRows and MaxFileBytes bound what the widget accepts; 0 means no
	// limit of the importer's own (the server still enforces its limits).
	MaxRows      int
	MaxFileBytes int64
	// Theme is a JSON object of CSS variables (see docs), may be empty.
	Theme json.RawMessage
	// Learn: the importer learns mappings, so the widget sends the end
	// user's changes to the proposals with the completion.
	Learn bool
	// Learned is the importer's learned mappings, proposed before the
	// dictionary matcher. The page is public: each header goes as a keyed
	// hash (LearnedHash), so one end user's header names are not readable
	// by the next; the widget hashes its own file's headers to look them up.
	Learned []LearnedPair
}

// LearnedPair is one learned mapping as the widget receives it.
type LearnedPair struct {
	Hash string `json:"hash"`
	Key  string `json:"key"`
}

// LearnedHash is the hash a learned header goes as: the first 128 bits of
// SHA-256 over the importer's key, a NUL and the header in the matcher's
// normalised form, in hex (web/widget/src/app/learned.ts computes the same).
func LearnedHash(importerKey, normalisedHeader string) string {
	sum := sha256.Sum256([]byte(importerKey + "\x00" + normalisedHeader))
	return hex.EncodeToString(sum[:16])
}

// Lookup finds an importer by its public key. It returns an error wrapping
// ErrNotFound for unknown or deleted keys.
type Lookup func(ctx context.Context, key string) (Importer, error)

// Register adds the widget's routes to mux:
//
//	GET /embed.js               the loader (stable URL, short cache)
//	GET /embed/{importer}       the importer page for the iframe
//	GET /i/{importer}           the same importer as a standalone page
//	GET /demo                   a host page that opens DemoImporterKey (WithDemo)
//	GET /widget/assets/{file}   built assets, named by content hash
func Register(mux interface{ Handle(string, http.Handler) }, lookup Lookup, logger *slog.Logger, opts ...Option) {
	h := &handler{lookup: lookup, logger: logger, assets: mustLoadAssets()}
	for _, o := range opts {
		o(h)
	}
	mux.Handle("GET /embed.js", http.HandlerFunc(h.serveLoader))
	mux.Handle("GET /embed/{importer}", http.HandlerFunc(h.serveEmbed))
	mux.Handle("GET /i/{importer}", http.HandlerFunc(h.serveHosted))
	if h.demo {
		mux.Handle("GET /demo", http.HandlerFunc(h.serveDemo))
	}
	mux.Handle("GET "+assetPrefix+"{file}", http.HandlerFunc(h.serveAsset))
}

// Option adjusts the widget's routes.
type Option func(*handler)

// WithPublicURL names Intake's public base URL (config.PublicURL, already
// scheme://host[:port]): a page of that origin counts as Intake's own, as
// one whose host is the request's does. Behind a proxy that rewrites Host,
// only this recognises Intake's own pages (such as /demo).
func WithPublicURL(u string) Option { return func(h *handler) { h.publicOrigin = u } }

// WithDemo serves /demo. Without it /demo is not a route (404): the demo
// importer takes uploads from anyone, so it is served only where the
// server decided it should be (config.DemoEnabled).
func WithDemo() Option { return func(h *handler) { h.demo = true } }

type handler struct {
	lookup Lookup
	logger *slog.Logger
	assets *assets
	demo   bool
	// publicOrigin is Intake's own origin when configured (WithPublicURL).
	publicOrigin string
}
