package widget

import (
	"encoding/json"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
)

var (
	importerKeyPattern = regexp.MustCompile(`^imp_[A-Za-z0-9_-]{1,64}$`)
	channelPattern     = regexp.MustCompile(`^[0-9a-f]{8,64}$`)
)

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>{{.Title}}</title><link rel="stylesheet" href="{{.CSS}}"></head>
<body data-config="{{.Config}}"><main id="app" class="intake"><p class="intake-boot">{{.Title}}</p></main>
<noscript>This importer needs JavaScript.</noscript><script src="{{.Script}}"></script></body></html>
`))

// pageData fills pageTemplate.
type pageData struct {
	Title, CSS, Script, Config string
}

// appConfig is what the importer page hands the widget app (body data-config).
type appConfig struct {
	Importer struct {
		Key          string          `json:"key"`
		Name         string          `json:"name"`
		Template     json.RawMessage `json:"template"`
		Mode         string          `json:"mode"`
		Recipients   []string        `json:"recipients,omitempty"`
		AllowInvalid bool            `json:"allowInvalid"`
		MaxRows      int             `json:"maxRows"`
		MaxFileBytes int64           `json:"maxFileBytes"`
		Theme        json.RawMessage `json:"theme,omitempty"`
		Learn        bool            `json:"learn"`
		Learned      []LearnedPair   `json:"learned"`
	} `json:"importer"`
	// HostOrigin and Channel are set when the page runs in embed.js's iframe.
	HostOrigin string            `json:"hostOrigin,omitempty"`
	Channel    string            `json:"channel,omitempty"`
	Assets     map[string]string `json:"assets"`
}

func setCommonHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}

func (h *handler) writeAsset(w http.ResponseWriter, r *http.Request, a *asset, cacheControl string) {
	setCommonHeaders(w)
	w.Header().Set("Content-Type", a.contentType)
	w.Header().Set("Cache-Control", cacheControl)
	w.Header().Set("Vary", "Accept-Encoding")
	w.Header().Set("Cross-Origin-Resource-Policy", "cross-origin")
	body := a.plain
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		w.Header().Set("Content-Encoding", "gzip")
		body = a.gzipped
	}
	if _, err := w.Write(body); err != nil {
		h.logger.DebugContext(r.Context(), "widget: write asset", slog.Any("err", err))
	}
}

// serveLoader serves embed.js under its stable URL; host pages include it
// directly, so it is cached briefly and revalidated.
func (h *handler) serveLoader(w http.ResponseWriter, r *http.Request) {
	h.writeAsset(w, r, h.assets.loader, "public, max-age=300")
}

func (h *handler) serveAsset(w http.ResponseWriter, r *http.Request) {
	a, ok := h.assets.byHashed[r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if strings.HasPrefix(r.PathValue("file"), "worker.") {
		w.Header().Set("Content-Security-Policy", workerPolicy)
	}
	h.writeAsset(w, r, a, "public, max-age=31536000, immutable")
}

// serveEmbed serves the importer page for embed.js's iframe. The page is only
// framed by the importer's allowed origins, and the host origin embed.js
// announces must be one of them: the app posts its messages to that origin only.
func (h *handler) serveEmbed(w http.ResponseWriter, r *http.Request) {
	imp, ok := h.importer(w, r)
	if !ok {
		return
	}
	origin, channel := r.URL.Query().Get("origin"), r.URL.Query().Get("channel")
	if !channelPattern.MatchString(channel) {
		h.logger.InfoContext(r.Context(), "widget: embed refused", slog.String("importer", imp.Key), slog.String("reason", "channel"))
		h.errorPage(w, http.StatusForbidden, "This importer opens through Intake's embed.js only.", frameAncestors(imp.AllowedOrigins))
		return
	}
	if !originAllowed(origin, imp.AllowedOrigins, r.Host) && !h.isPublicOrigin(origin) {
		h.logger.InfoContext(r.Context(), "widget: embed refused", slog.String("importer", imp.Key), slog.String("reason", "origin"))
		h.refusedOrigin(w, origin, len(imp.AllowedOrigins) == 0)
		return
	}
	h.renderImporter(w, r, imp, origin, channel, frameAncestors(imp.AllowedOrigins))
}

// isPublicOrigin reports whether origin is Intake's configured public one.
func (h *handler) isPublicOrigin(origin string) bool {
	o, err := normalizeOrigin(origin)
	return err == nil && h.publicOrigin != "" && o == h.publicOrigin
}

// serveHosted serves the standalone importer page, which nothing may frame.
func (h *handler) serveHosted(w http.ResponseWriter, r *http.Request) {
	imp, ok := h.importer(w, r)
	if !ok {
		return
	}
	h.renderImporter(w, r, imp, "", "", "frame-ancestors 'none'")
}

// serveDemo serves a small host page that opens the demo importer through
// embed.js, exactly as a team's app would.
func (h *handler) serveDemo(w http.ResponseWriter, r *http.Request) {
	cfg, err := json.Marshal(map[string]string{"importer": DemoImporterKey, "loader": "/embed.js"})
	if err != nil {
		h.logger.ErrorContext(r.Context(), "widget: demo config", slog.Any("err", err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h.render(w, r, pageData{Title: "Intake demo", CSS: h.assets.url["app.css"], Script: h.assets.url["demo.js"], Config: string(cfg)},
		pagePolicy+"; frame-src 'self'; frame-ancestors 'none'")
}

func (h *handler) importer(w http.ResponseWriter, r *http.Request) (Importer, bool) {
	key := r.PathValue("importer")
	if !importerKeyPattern.MatchString(key) {
		h.errorPage(w, http.StatusNotFound, "This importer does not exist.", "frame-ancestors *")
		return Importer{}, false
	}
	imp, err := h.lookup(r.Context(), key)
	if errors.Is(err, ErrNotFound) {
		// Any page may frame this message: it reveals nothing, and the host
		// sees why its importer did not open.
		h.errorPage(w, http.StatusNotFound, "This importer does not exist.", "frame-ancestors *")
		return Importer{}, false
	}
	if err != nil {
		h.logger.ErrorContext(r.Context(), "widget: look up importer", slog.String("importer", key), slog.Any("err", err))
		h.errorPage(w, http.StatusInternalServerError, "The importer could not be loaded. Try again later.", "frame-ancestors *")
		return Importer{}, false
	}
	return imp, true
}

func (h *handler) renderImporter(w http.ResponseWriter, r *http.Request, imp Importer, origin, channel, ancestors string) {
	var cfg appConfig
	cfg.Importer.Key = imp.Key
	cfg.Importer.Name = imp.Name
	cfg.Importer.Template = imp.Template
	cfg.Importer.Mode = imp.Mode
	cfg.Importer.Recipients = imp.Recipients
	cfg.Importer.AllowInvalid = imp.AllowInvalid
	cfg.Importer.MaxRows = imp.MaxRows
	cfg.Importer.MaxFileBytes = imp.MaxFileBytes
	cfg.Importer.Learn = imp.Learn
	cfg.Importer.Learned = nonNil(imp.Learned)
	if len(imp.Theme) > 0 {
		cfg.Importer.Theme = imp.Theme
	}
	if len(cfg.Importer.Template) == 0 {
		cfg.Importer.Template = json.RawMessage("null")
	}
	cfg.HostOrigin, cfg.Channel = origin, channel
	cfg.Assets = map[string]string{"worker": h.assets.url["worker.js"]}
	if u, ok := h.assets.url["xls.js"]; ok {
		cfg.Assets["xls"] = u
	}
	data, err := json.Marshal(cfg)
	if err != nil {
		h.logger.ErrorContext(r.Context(), "widget: encode config", slog.String("importer", imp.Key), slog.Any("err", err))
		h.errorPage(w, http.StatusInternalServerError, "The importer could not be loaded. Try again later.", "frame-ancestors *")
		return
	}
	h.render(w, r, pageData{Title: imp.Name, CSS: h.assets.url["app.css"], Script: h.assets.url["app.js"], Config: string(data)}, pagePolicy+"; "+ancestors)
}

func (h *handler) render(w http.ResponseWriter, r *http.Request, data pageData, policy string) {
	setCommonHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", policy)
	if err := pageTemplate.Execute(w, data); err != nil {
		h.logger.DebugContext(r.Context(), "widget: write page", slog.Any("err", err))
	}
}

var errorTemplate = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Intake</title></head>
<body style="font:16px system-ui,sans-serif;padding:2rem"><p role="alert">{{.}}</p></body></html>
`))

var refusedTemplate = template.Must(template.New("refused").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Intake</title></head>
<body style="font:16px/1.5 system-ui,sans-serif;padding:2rem;max-width:40rem">
<h1 style="font-size:1.25rem">This site may not open this importer</h1>
{{if .Origin}}<p role="alert">Add <strong>{{.Origin}}</strong> to this importer's allowed origins in the Intake dashboard.</p>
{{else}}<p role="alert">Add this site's origin (such as https://app.example.com) to this importer's allowed origins in the Intake dashboard.</p>
{{end}}<p>{{if .None}}The importer has no allowed origins yet, so only Intake's own pages may open it.{{else}}Only the sites in its allowed origins may open it.{{end}}</p>
</body></html>
`))

// refusedOrigin answers an embed from a site the importer does not allow
// with a page the team can read in the iframe, saying which origin to add.
//
// The origin is what embed.js claims (the query), so it is only a hint:
// it authorizes nothing. The page holds no importer data, no script and
// nothing to click, which is why it may be framed by that claimed origin
// alone (frame-ancestors), and only after strictOrigin proved it is a bare
// scheme://host[:port] that cannot break out of the header. Any other
// framer, or an origin that is not one, gets frame-ancestors 'none', and
// embed.js's own timeout (a close button, onError) is what the user sees.
func (h *handler) refusedOrigin(w http.ResponseWriter, claimed string, none bool) {
	origin, ok := strictOrigin(claimed)
	ancestors := "frame-ancestors 'none'"
	if ok {
		ancestors = "frame-ancestors " + origin
	}
	setCommonHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; "+ancestors)
	w.WriteHeader(http.StatusForbidden)
	_ = refusedTemplate.Execute(w, struct {
		Origin string
		None   bool
	}{origin, none})
}

func (h *handler) errorPage(w http.ResponseWriter, status int, message, ancestors string) {
	setCommonHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; "+ancestors)
	w.WriteHeader(status)
	_ = errorTemplate.Execute(w, message)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
