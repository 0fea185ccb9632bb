// Package server assembles Intake from its parts: it opens the metadata
// store, the vault and the blob store named by the configuration, builds the
// HTTP handler (API, widget, health, metrics) and serves it with TLS and a
// graceful shutdown that lets in-flight chunks finish. Tests start the same
// server in-process with Start.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob" // file:// blob stores
	_ "gocloud.dev/blob/s3blob"   // s3:// blob stores

	"github.com/intakehq/intake/internal/api"
	"github.com/intakehq/intake/internal/config"
	"github.com/intakehq/intake/internal/dashboard"
	"github.com/intakehq/intake/internal/delivery"
	"github.com/intakehq/intake/internal/delivery/outbound"
	"github.com/intakehq/intake/internal/fileimport"
	"github.com/intakehq/intake/internal/ingest"
	"github.com/intakehq/intake/internal/queue"
	"github.com/intakehq/intake/internal/retention"
	"github.com/intakehq/intake/internal/rows"
	"github.com/intakehq/intake/internal/store"
	"github.com/intakehq/intake/internal/vault"
	"github.com/intakehq/intake/internal/widget"
)

// Server is a running Intake: its parts and its HTTP handler.
type Server struct {
	Config config.Config
	Store  *store.Store
	Vault  *vault.Vault
	Bucket *blob.Bucket
	Ingest *ingest.Service
	// Rows decrypts stored rows: pages, downloads, delivery batches.
	Rows *rows.Reader
	// Retention purges imports: the periodic job and deletion on demand.
	Retention *retention.Service
	// Delivery manages destinations and delivers completed imports.
	Delivery *delivery.Service
	// Files runs headless imports: files sent to the API, watched prefixes.
	Files *fileimport.Service
	// Jobs is the durable job queue; Serve starts and stops it.
	Jobs    *queue.Queue
	Handler http.Handler
	// Routes lists every pattern registered on Handler, in the order
	// registered: the route-matrix test (internal/server) enumerates it,
	// so that a new route cannot go without its authorization cases.
	Routes []string
	log    *slog.Logger
	// metrics is the handler of the MetricsAddr listener; nil without one.
	metrics http.Handler
	// addrs are the bound addresses, set by Serve before it calls ready.
	addrs Addrs
	// draining turns /readyz to 503 once shutdown began (drain.go).
	draining atomic.Bool
}

// Addrs are the addresses Serve listens on; an unused listener's is nil.
type Addrs struct {
	Main, Metrics, HTTP net.Addr
}

// Addrs returns where Serve listens; valid from its ready callback on.
func (s *Server) Addrs() Addrs { return s.addrs }

// router is the server's ServeMux; it also records each pattern
// registered, so that the routes can be listed from the registration
// itself rather than from a second list that could drift from it.
type router struct {
	mux      *http.ServeMux
	patterns []string
}

// Handle registers h for pattern and records the pattern.
func (r *router) Handle(pattern string, h http.Handler) {
	r.mux.Handle(pattern, h)
	r.patterns = append(r.patterns, pattern)
}

// Open builds a Server from cfg. Close releases it.
func Open(ctx context.Context, cfg config.Config, logger *slog.Logger) (*Server, error) {
	s, err := OpenRetention(ctx, cfg, logger)
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newBacklogCollector(s.Store, logger))
	// Everything is built in the order data flows, each part from those
	// before it: rows, the queue, delivery (which inserts into the queue),
	// ingest (which hands completed imports and bypass chunks to delivery),
	// and last the workers, which the queue then runs.
	policy := outbound.NewPolicy(cfg.OutboundAllow)
	s.Rows = rows.New(rows.Options{Store: s.Store, Vault: s.Vault, Bucket: s.Bucket})
	if s.Jobs, err = queue.Open(ctx, s.Store, queue.Options{Logger: logger}); err != nil {
		s.Close()
		return nil, err
	}
	s.Delivery = delivery.New(delivery.Options{Store: s.Store, Vault: s.Vault, Rows: s.Rows, Queue: s.Jobs, Policy: policy, Logger: logger})
	// The demo importer takes uploads from anyone: it exists only where the
	// demo is on. Switched off, one made by an earlier run is answered as
	// unknown everywhere (widget pages, uploads, chunks of open sessions)
	// rather than deleted: a deleted importer keeps its key, so the demo
	// could never be switched on again, and its 1-day retention already
	// purges what it held.
	var disabled []string
	if !cfg.DemoEnabled() {
		disabled = []string{widget.DemoImporterKey}
	}
	s.Ingest = ingest.New(ingest.Options{
		Store: s.Store, Vault: s.Vault, Bucket: s.Bucket, Logger: logger, Metrics: ingest.NewMetrics(reg),
		MaxChunkBytes: cfg.MaxChunkBytes, MaxInflatedBytes: cfg.MaxInflatedChunkBytes, TokenTTL: cfg.UploadTokenTTL,
		MaxImportRows: cfg.MaxImportRows, MaxChunkRows: cfg.MaxChunkRows, MaxChunkCells: cfg.MaxChunkCells,
		DecodeMemory: cfg.DecodeMemoryBytes, Relay: s.Delivery.Relay, OnComplete: s.Delivery.Enqueue, DisabledKeys: disabled,
	})
	// A run yields after a slice (at most a minute) so that other deliveries
	// get their turn; slice and request must fit in the job's timeout.
	deliverer, err := delivery.NewWorker(delivery.WorkerConfig{Store: s.Delivery, Policy: policy, Logger: logger, JobTimeout: cfg.DeliveryTimeout,
		Slice: min(time.Minute, cfg.DeliveryTimeout/2), RequestTimeout: min(15*time.Second, cfg.DeliveryTimeout/4)})
	if err != nil {
		s.Close()
		return nil, err
	}
	// File imports send their chunks through ingest; their runs are
	// bounded as deliveries' are, so that the same rescue delay holds.
	s.Files = fileimport.New(fileimport.Config{Store: s.Store, Vault: s.Vault, Bucket: s.Bucket, Ingest: s.Ingest,
		Purge: s.purgeImport, Queue: s.Jobs, Logger: logger, MaxFileBytes: cfg.MaxFileBytes, MaxImportRows: cfg.MaxImportRows,
		Slice: cfg.DeliveryTimeout / 2, JobTimeout: cfg.DeliveryTimeout})
	workers := queue.NewWorkers() // the job kinds this replica works
	retention.NewWorker(s.Retention).Register(workers, retentionInterval)
	deliverer.Register(workers)
	s.Files.Register(workers)
	fileimport.NewWatcher(s.Files, policy.DialContext).Register(workers, cfg.WatchInterval)
	if err := s.Jobs.Work(workers, queue.WorkOptions{Queues: []string{delivery.Queue, fileimport.Queue},
		RescueStuckJobsAfter: rescueAfter(cfg.DeliveryTimeout)}); err != nil {
		s.Close()
		return nil, err
	}
	widgetOpts := []widget.Option{widget.WithPublicURL(cfg.PublicURL)}
	if cfg.DemoEnabled() {
		if err := s.Store.EnsureDemoImporter(ctx, widget.DemoImporterKey, DemoTemplate); err != nil {
			s.Close()
			return nil, err
		}
		widgetOpts = append(widgetOpts, widget.WithDemo())
	}
	mux := &router{mux: http.NewServeMux()}
	api.New(s.Store, s.Ingest, s.Rows, s.Retention, logger, api.WithDelivery(s.Delivery), api.WithPublicURL(cfg.PublicURL),
		api.WithVault(s.Vault), api.WithFileImports(s.Files)).Register(mux)
	widget.Register(mux, s.widgetLookup, logger, widgetOpts...)
	if err := dashboard.SealClearTOTP(ctx, s.Store, s.Vault, logger); err != nil {
		s.Close()
		return nil, err
	}
	dash, err := dashboard.New(dashboard.Options{Store: s.Store, Vault: s.Vault, Rows: s.Rows, Retention: s.Retention, Delivery: s.Delivery,
		Logger: logger, PublicURL: cfg.PublicURL})
	if err != nil {
		s.Close()
		return nil, err
	}
	dash.Register(mux)
	mux.Handle("GET /healthz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) }))
	mux.Handle("GET /readyz", http.HandlerFunc(s.ready))
	gate := newMetricsGate(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), cfg.MetricsToken)
	mux.Handle("GET /metrics", gate.public(cfg.MetricsAddr != ""))
	if cfg.MetricsAddr != "" {
		s.metrics = gate.own()
	}
	s.Routes = mux.patterns
	s.Handler = securityHeaders(mux.mux, cfg.TLS())
	return s, nil
}

// purgeImport is the file imports' purge of a failed import.
func (s *Server) purgeImport(ctx context.Context, orgID, importID string) error {
	_, err := s.Retention.PurgeImport(ctx, orgID, importID)
	return err
}

// OpenRetention opens only what purging needs, from the same configuration
// as Open: the store, the master key, the blob store and the retention
// service, with no job queue, handler or demo importer. `intake purge` runs
// on it beside a serving replica. Close releases it.
func OpenRetention(ctx context.Context, cfg config.Config, logger *slog.Logger) (*Server, error) {
	s := &Server{Config: cfg, log: logger}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	var err error
	opts := store.Options{SQLitePath: cfg.SQLitePath()}
	if cfg.IsPostgres() {
		opts = store.Options{PostgresURL: cfg.DatabaseURL}
	}
	opts.SkipMigrations = cfg.SkipMigrations
	if s.Store, err = store.Open(ctx, opts); err != nil {
		return nil, err
	}
	if s.Vault, err = vault.Open(ctx, cfg.MasterKeyURL, cfg.DataDir, vault.WithVaultToken(cfg.VaultToken)); err != nil {
		s.Close()
		return nil, err
	}
	if s.Bucket, err = OpenBucket(ctx, cfg.BlobURL, cfg.DataDir); err != nil {
		s.Close()
		return nil, err
	}
	s.Retention = retention.New(retention.Options{Store: s.Store, Vault: s.Vault, Bucket: s.Bucket, Logger: logger,
		AbandonAfter: cfg.AbandonUploadsAfter})
	return s, nil
}

// rescueAfter is how old a running delivery job of a crashed replica must
// be before another replica (or the restarted one) resumes it: River
// rescues only jobs older than both this and the job's timeout, so a
// little more than the timeout (a quarter more, at most a minute).
func rescueAfter(deliveryTimeout time.Duration) time.Duration {
	return deliveryTimeout + min(time.Minute, deliveryTimeout/4)
}

// retentionInterval is how often expired imports are purged: an import
// outlives its retention period by at most this much.
const retentionInterval = 5 * time.Minute

// DemoTemplate is the template of the /demo importer: the columns of the
// benchmark data set, so a newcomer can drop its files straight in.
var DemoTemplate = []byte(`{"columns":[
	{"key":"id","label":"ID","type":"text","required":true,"unique":true},
	{"key":"first_name","label":"First name","type":"text","required":true},
	{"key":"last_name","label":"Last name","type":"text"},
	{"key":"email","label":"Email","type":"email","required":true,"unique":true,"unique_ignore_case":true,"synonyms":["e-mail","mail"]},
	{"key":"phone","label":"Phone","type":"phone","default_region":"US"},
	{"key":"signup_date","label":"Signup date","type":"date","formats":["YYYY-MM-DD","MM/DD/YYYY"]},
	{"key":"amount","label":"Amount","type":"number"},
	{"key":"country","label":"Country","type":"country"},
	{"key":"active","label":"Active","type":"boolean"},
	{"key":"notes","label":"Notes","type":"text","max_length":2000}]}`)

// OpenBucket opens the blob store at blobURL, or a folder under dataDir.
func OpenBucket(ctx context.Context, blobURL, dataDir string) (*blob.Bucket, error) {
	if blobURL == "" {
		dir, err := filepath.Abs(filepath.Join(dataDir, "blobs"))
		if err != nil {
			return nil, fmt.Errorf("blob folder: %w", err)
		}
		// Temporary files next to the blobs, so nothing lands outside the data folder.
		blobURL = (&url.URL{Scheme: "file", Path: dir, RawQuery: "create_dir=1&no_tmp_dir=1&metadata=skip"}).String()
	}
	b, err := blob.OpenBucket(ctx, blobURL)
	if err != nil {
		return nil, fmt.Errorf("open blob store: %w", err)
	}
	return b, nil
}

func (s *Server) widgetLookup(ctx context.Context, key string) (widget.Importer, error) {
	im, err := s.Store.ImporterByKey(ctx, key)
	if errors.Is(err, store.ErrNotFound) || (err == nil && s.Ingest.Disabled(key)) {
		return widget.Importer{}, fmt.Errorf("importer: %w", widget.ErrNotFound)
	}
	if err != nil {
		return widget.Importer{}, err
	}
	wi := widget.Importer{Key: im.Key, Name: im.Name, Template: im.Template, Mode: im.Mode, Recipients: im.Recipients,
		AllowedOrigins: im.AllowedOrigins, AllowInvalid: im.AllowInvalid, MaxRows: int(im.MaxRows), MaxFileBytes: im.MaxFileBytes,
		Learn: im.LearnMappings}
	if im.LearnMappings {
		learned, err := s.Store.ImporterLearned(ctx, im.ID)
		if err != nil {
			return widget.Importer{}, err
		}
		for _, l := range learned {
			wi.Learned = append(wi.Learned, widget.LearnedPair{Hash: widget.LearnedHash(im.Key, l.Header), Key: l.Key})
		}
	}
	return wi, nil
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if s.draining.Load() {
		http.Error(w, "draining", http.StatusServiceUnavailable)
		return
	}
	if err := s.Store.Ping(ctx); err != nil {
		http.Error(w, "database unavailable", http.StatusServiceUnavailable)
		return
	}
	if _, err := s.Bucket.IsAccessible(ctx); err != nil {
		http.Error(w, "blob store unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Write([]byte("ready\n"))
}

// Close releases the store, vault and bucket.
func (s *Server) Close() error {
	var err error
	if s.Bucket != nil {
		err = errors.Join(err, s.Bucket.Close())
	}
	if s.Vault != nil {
		err = errors.Join(err, s.Vault.Close())
	}
	if s.Store != nil {
		err = errors.Join(err, s.Store.Close())
	}
	return err
}

// permissionsPolicy turns off, for every page Intake serves (dashboard,
// widget, API), the powerful browser features none of them uses, so that
// an injected script could not ask for them either. The clipboard is not
// listed: the widget's frame is allowed clipboard-read and clipboard-write
// by its embed loader, for pasting a sheet.
const permissionsPolicy = "accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), hid=(), " +
	"magnetometer=(), microphone=(), midi=(), payment=(), publickey-credentials-get=(), screen-wake-lock=(), serial=(), " +
	"usb=(), xr-spatial-tracking=(), browsing-topics=()"

// securityHeaders sets what every response carries: no sniffing, no
// referrer, no powerful features, and HSTS when serving TLS. The
// Cross-Origin-Opener-Policy is the dashboard's own (same-origin, see
// dashboard.pageHeaders); the widget's pages have none, on purpose: framed,
// a browser ignores it anyway, and the hosted page may be opened by the
// team's app in a window it keeps a handle on, which same-origin would cut.
func securityHeaders(next http.Handler, tlsOn bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Permissions-Policy", permissionsPolicy)
		if tlsOn {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// TLSConfig is TLS 1.2+ with AEAD suites only (TLS 1.3 suites are all AEAD).
func TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305,
		},
	}
}

// Serve listens on the configured address until ctx ends, then shuts down
// gracefully: new connections stop, in-flight requests (chunks) finish
// within ShutdownTimeout. With a Domain it serves HTTPS with ACME
// certificates and, on HTTPAddr, the challenges and a redirect to HTTPS;
// with a MetricsAddr, /metrics there. ready, if not nil, gets the main
// bound address once every listener is bound (so that a link printed
// there works), before any request is served; an error from it stops Serve.
func (s *Server) Serve(ctx context.Context, ready func(addr net.Addr) error) error {
	var servers []*http.Server
	errc := make(chan error, 3)
	closeAll := func() {
		for _, srv := range servers {
			srv.Close()
		}
	}
	// listen binds addr for h; the server starts serving at start().
	var starts []func()
	listen := func(addr string, h http.Handler, tlsConf *tls.Config, serveTLS func(*http.Server, net.Listener) error) (net.Addr, error) {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("listen on %s: %w", addr, err)
		}
		srv := &http.Server{
			Handler:           h,
			TLSConfig:         tlsConf,
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
			BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		}
		servers = append(servers, srv)
		starts = append(starts, func() {
			go func() {
				var err error
				if serveTLS != nil {
					err = serveTLS(srv, ln)
				} else {
					err = srv.Serve(ln)
				}
				if !errors.Is(err, http.ErrServerClosed) {
					errc <- fmt.Errorf("serve %s: %w", addr, err)
				}
			}()
		})
		return ln.Addr(), nil
	}
	cfg := s.Config
	var err error
	switch {
	case cfg.Domain != "":
		m := ACME(cfg)
		s.addrs.Main, err = listen(cfg.Addr, s.Handler, ACMETLSConfig(m), func(srv *http.Server, ln net.Listener) error { return srv.ServeTLS(ln, "", "") })
		if err == nil && cfg.HTTPAddr != "off" {
			s.addrs.HTTP, err = listen(cfg.HTTPAddr, RedirectHandler(m, cfg.Domain, portOf(cfg.Addr)), nil, nil)
		}
	case cfg.TLSCert != "":
		s.addrs.Main, err = listen(cfg.Addr, s.Handler, TLSConfig(), func(srv *http.Server, ln net.Listener) error {
			return srv.ServeTLS(ln, cfg.TLSCert, cfg.TLSKey)
		})
	default:
		s.addrs.Main, err = listen(cfg.Addr, s.Handler, nil, nil)
		if host, _, _ := net.SplitHostPort(cfg.Addr); err == nil && cfg.InsecureHTTP && !config.IsLoopbackHost(host) {
			s.log.Warn("serving plain HTTP on a non-loopback address: put a TLS proxy in front", "addr", s.addrs.Main.String())
		}
	}
	if err == nil && s.metrics != nil {
		s.addrs.Metrics, err = listen(cfg.MetricsAddr, s.metrics, nil, nil)
	}
	if err != nil {
		closeAll()
		return err
	}
	if err := s.Jobs.Start(ctx); err != nil {
		closeAll()
		return fmt.Errorf("start job queue: %w", err)
	}
	defer func() {
		// Jobs get the same grace as requests; unfinished ones are retried
		// by River after a restart.
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
		defer cancel()
		if err := s.Jobs.Stop(stopCtx); err != nil {
			s.log.Warn("job queue stop", "err", err)
		}
	}()
	if ready != nil {
		if err := ready(s.addrs.Main); err != nil {
			closeAll()
			return err
		}
	}
	s.log.Info("intake listening", "addr", s.addrs.Main.String(), "tls", cfg.TLS(), "acme", cfg.Domain != "",
		"http_addr", addrString(s.addrs.HTTP), "metrics_addr", addrString(s.addrs.Metrics), "database", dbKind(s.Store))
	for _, start := range starts {
		start()
	}
	select {
	case err := <-errc:
		closeAll()
		return err
	case <-ctx.Done():
	}
	s.drain(servers)
	s.log.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	var errs []error
	for _, srv := range servers {
		if err := srv.Shutdown(sctx); err != nil {
			errs = append(errs, fmt.Errorf("shutdown: %w", err))
		}
	}
	return errors.Join(errs...)
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

func dbKind(st *store.Store) string {
	if st.Postgres() {
		return "postgres"
	}
	return "sqlite"
}
