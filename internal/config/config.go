// Package config defines Intake's one typed configuration, read from flags and
// INTAKE_* environment variables (flags win; secrets also from *_FILE), checked
// once at start and passed down. It never reads anything at package init.
package config

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is everything `intake serve` and the admin commands need. Every field
// has a flag and an environment variable, listed by Flags.
type Config struct {
	// Addr is the listen address. Without TLS it must be a loopback address
	// unless InsecureHTTP is set.
	Addr string
	// DataDir holds the embedded defaults: the SQLite database, file blobs and
	// the generated master key. Created on first start.
	DataDir string
	// DatabaseURL selects the metadata store: empty or sqlite:// for SQLite in
	// DataDir, postgres:// for PostgreSQL.
	DatabaseURL string
	// BlobURL is a gocloud.dev/blob URL (file://, s3://). Empty means
	// file://DataDir/blobs.
	BlobURL string
	// MasterKeyURL wraps every data key: a gocloud.dev/secrets URL
	// (base64key://, awskms://, gcpkms://, hashivault://) or file:///path to a
	// 32-byte key file. Empty means DataDir/master.key, generated with mode 0600.
	MasterKeyURL string
	// VaultToken is the token of a hashivault:// master key; empty leaves
	// it to Vault's own VAULT_TOKEN. Give it as INTAKE_VAULT_TOKEN_FILE.
	VaultToken string
	// TLSCert and TLSKey turn on HTTPS (TLS 1.2+, AEAD suites, HSTS).
	TLSCert, TLSKey string
	// Domain turns on HTTPS with certificates obtained and renewed
	// automatically over ACME (Let's Encrypt by default) for this one DNS
	// name, cached in DataDir/acme. It excludes TLSCert. With it, Addr
	// defaults to :443, PublicURL to https://Domain, and HTTPAddr serves
	// the ACME http-01 challenges and redirects everything else to HTTPS.
	Domain string
	// ACMEEmail is the contact address given to the certificate authority
	// (expiry warnings); optional.
	ACMEEmail string
	// ACMEDirectory is the ACME directory URL; empty means Let's Encrypt's
	// production directory. Point it at a staging directory to try a setup.
	ACMEDirectory string
	// HTTPAddr is the plain-HTTP listener that goes with Domain: ACME
	// challenges and a redirect to HTTPS. Default :80; "off" for none
	// (certificates are then obtained over tls-alpn-01 on Addr alone).
	HTTPAddr string
	// MetricsToken, when set, lets GET /metrics on Addr answer a request
	// that carries it as a bearer token (compared in constant time).
	MetricsToken string
	// MetricsAddr, when set, serves /metrics on a listener of its own
	// (plain HTTP, for a private network or loopback) and never on Addr.
	// With neither this nor MetricsToken, /metrics is off (404): a
	// reverse proxy on the same host makes loopback no proof of privacy.
	MetricsAddr string
	// InsecureHTTP allows plain HTTP on a non-loopback address.
	InsecureHTTP bool
	// PublicURL is the external base URL, scheme://host[:port] (embed
	// snippets, links, and Intake's own origin when a browser uploads from
	// the widget). Set it behind a TLS-terminating proxy, where the request
	// alone does not tell the scheme the browser used. Empty means derived
	// from Addr or the request.
	PublicURL string
	// Demo turns on the /demo page and its public importer imp_demo, which
	// anyone may upload to. Nil (the default) means on only for a
	// loopback-only Intake without PublicURL (a developer's machine);
	// see DemoEnabled.
	Demo *bool
	// MaxChunkBytes bounds one chunk's request body as sent (compressed).
	MaxChunkBytes int64
	// MaxInflatedChunkBytes bounds a chunk after gzip decoding (gzip bombs):
	// 4×MaxChunkBytes by default, room for the widget's chunks, which it
	// cuts at MaxChunkBytes of JSON text (up to 3 bytes of UTF-8 a character).
	MaxInflatedChunkBytes int64
	// MaxImportRows bounds the rows one import may announce, whatever its
	// importer's max_rows: anyone with an importer's public key may open an
	// import, and every chunk is checked against the rows announced.
	MaxImportRows int64
	// MaxChunkRows bounds the rows of one chunk (the widget sends 5,000),
	// MaxChunkCells its rows × columns: decoding costs memory by the cell.
	MaxChunkRows, MaxChunkCells int
	// DecodeMemoryBytes is the memory that the chunks being decoded at once
	// may hold together. Each chunk reserves an upper bound of its own before
	// it is inflated; one that cannot get it within half a second is answered
	// 429 with Retry-After, so that no number of requests at once takes more.
	DecodeMemoryBytes int64
	// UploadTokenTTL is how long an upload token stays valid.
	UploadTokenTTL time.Duration
	// AbandonUploadsAfter is how long an upload may go without a chunk
	// before the retention run purges it as abandoned.
	AbandonUploadsAfter time.Duration
	// ShutdownTimeout bounds the graceful shutdown that lets in-flight chunks finish.
	ShutdownTimeout time.Duration
	// DrainDelay is how long a stopping server goes on serving with
	// /readyz at 503 before it stops accepting connections, so that a load
	// balancer (or Kubernetes, whose endpoints lag a pod's termination)
	// stops sending it requests first. Zero (the default) stops at once.
	DrainDelay time.Duration
	// LogLevel is debug, info, warn or error.
	LogLevel string
	// DeliveryTimeout bounds one run of a delivery job; a delivery left
	// running by a crashed replica resumes about a minute after it.
	DeliveryTimeout time.Duration
	// SkipMigrations starts without applying migrations, for replicas
	// whose database role may not change the schema: `intake migrate` runs
	// them first, and a replica refuses to start on an older schema.
	SkipMigrations bool
	// WatchInterval is how often watched S3 prefixes and SFTP folders are listed for new
	// objects (once across replicas).
	WatchInterval time.Duration
	// MaxFileBytes bounds a file sent to POST /api/v1/importers/{id}/files,
	// whatever its importer allows.
	MaxFileBytes int64
	// OutboundAllow lists CIDRs that outbound deliveries may reach although
	// the SSRF guard would refuse them (e.g. a destination on a private network).
	OutboundAllow []netip.Prefix
}

// Defaults that Load fills in.
const (
	DefaultAddr          = "127.0.0.1:8080"
	DefaultDataDir       = "./intake-data"
	DefaultMaxChunkBytes = 8 << 20
	DefaultMaxImportRows = 10_000_000
	DefaultMaxChunkRows  = 10_000
	DefaultMaxChunkCells = 2_500_000
	DefaultDecodeMemory  = 128 << 20
)

// Load parses args and the environment (lookupEnv is os.LookupEnv in
// production) into a checked Config. Flags win over variables. extra, if not
// nil, adds a command's own flags (they have no environment variable).
func Load(name string, args []string, lookupEnv func(string) (string, bool), usageOut io.Writer, extra func(*flag.FlagSet)) (Config, error) {
	var c Config
	var allow string
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(usageOut)
	str := func(p *string, flagName, env, def, usage string) {
		fs.StringVar(p, flagName, def, usage+" ("+env+")")
	}
	str(&c.Addr, "addr", "INTAKE_ADDR", DefaultAddr, "listen address")
	str(&c.DataDir, "data-dir", "INTAKE_DATA_DIR", DefaultDataDir, "folder for the embedded SQLite database, file blobs and master key")
	str(&c.DatabaseURL, "database-url", "INTAKE_DATABASE_URL", "", "postgres://… for PostgreSQL; empty for SQLite in the data folder")
	str(&c.BlobURL, "blob-url", "INTAKE_BLOB_URL", "", "blob store URL (file://…, s3://bucket?region=…&endpoint=…); empty for DATA_DIR/blobs")
	str(&c.MasterKeyURL, "master-key-url", "INTAKE_MASTER_KEY_URL", "", "key that wraps data keys: base64key://, awskms://, gcpkms://, hashivault:// or file:///path; empty for DATA_DIR/master.key")
	str(&c.VaultToken, "vault-token", "INTAKE_VAULT_TOKEN", "", "token of a hashivault:// master key (prefer INTAKE_VAULT_TOKEN_FILE); empty for VAULT_TOKEN")
	str(&c.TLSCert, "tls-cert", "INTAKE_TLS_CERT", "", "TLS certificate file (PEM); with --tls-key serves HTTPS only")
	str(&c.TLSKey, "tls-key", "INTAKE_TLS_KEY", "", "TLS private key file (PEM)")
	str(&c.Domain, "domain", "INTAKE_DOMAIN", "", "serve HTTPS for this DNS name with automatic ACME certificates (cached in DATA_DIR/acme); --addr defaults to :443")
	str(&c.ACMEEmail, "acme-email", "INTAKE_ACME_EMAIL", "", "contact email given to the ACME certificate authority (optional)")
	str(&c.ACMEDirectory, "acme-directory", "INTAKE_ACME_DIRECTORY", "", "ACME directory URL; empty for Let's Encrypt production")
	str(&c.HTTPAddr, "http-addr", "INTAKE_HTTP_ADDR", "", "with --domain: plain-HTTP listener for ACME challenges and the redirect to HTTPS; default :80, off for none")
	str(&c.MetricsToken, "metrics-token", "INTAKE_METRICS_TOKEN", "", "bearer token that GET /metrics on --addr requires; without it or --metrics-addr, /metrics is off")
	str(&c.MetricsAddr, "metrics-addr", "INTAKE_METRICS_ADDR", "", "serve /metrics on this address of its own (plain HTTP) instead of on --addr")
	str(&c.PublicURL, "public-url", "INTAKE_PUBLIC_URL", "", "external base URL, scheme://host[:port]: embed snippets, links, and Intake's own origin behind a TLS proxy")
	str(&c.LogLevel, "log-level", "INTAKE_LOG_LEVEL", "info", "debug, info, warn or error")
	str(&allow, "outbound-allow", "INTAKE_OUTBOUND_ALLOW", "", "comma-separated CIDRs outbound deliveries may reach despite the SSRF guard")
	fs.BoolVar(&c.InsecureHTTP, "insecure-http", false, "allow plain HTTP on a non-loopback address (INTAKE_INSECURE_HTTP)")
	fs.BoolVar(&c.SkipMigrations, "skip-migrations", false, "apply no migration at start (run intake migrate first); refuse an older schema (INTAKE_SKIP_MIGRATIONS)")
	fs.Var(optionalBool{&c.Demo}, "demo", "serve /demo and its public importer imp_demo; default: only on loopback without --public-url (INTAKE_DEMO)")
	fs.Int64Var(&c.MaxChunkBytes, "max-chunk-bytes", DefaultMaxChunkBytes, "largest chunk body accepted, as sent (INTAKE_MAX_CHUNK_BYTES)")
	fs.Int64Var(&c.MaxInflatedChunkBytes, "max-inflated-chunk-bytes", 0, "largest chunk after gzip decoding; 0 means 4×max-chunk-bytes (INTAKE_MAX_INFLATED_CHUNK_BYTES)")
	fs.Int64Var(&c.MaxImportRows, "max-import-rows", DefaultMaxImportRows, "most rows one import may announce, whatever its importer's max_rows (INTAKE_MAX_IMPORT_ROWS)")
	fs.IntVar(&c.MaxChunkRows, "max-chunk-rows", DefaultMaxChunkRows, "most rows in one chunk; the widget sends 5000 (INTAKE_MAX_CHUNK_ROWS)")
	fs.IntVar(&c.MaxChunkCells, "max-chunk-cells", DefaultMaxChunkCells, "most cells (rows × columns) in one chunk (INTAKE_MAX_CHUNK_CELLS)")
	fs.Int64Var(&c.DecodeMemoryBytes, "decode-memory-bytes", DefaultDecodeMemory, "memory the chunks being decoded at once may hold together; a chunk that cannot get its share within 0.5 s is answered 429 (INTAKE_DECODE_MEMORY_BYTES)")
	fs.DurationVar(&c.UploadTokenTTL, "upload-token-ttl", 24*time.Hour, "validity of an upload token (INTAKE_UPLOAD_TOKEN_TTL)")
	fs.DurationVar(&c.AbandonUploadsAfter, "abandon-uploads-after", 24*time.Hour, "purge an upload that received no chunk for this long (INTAKE_ABANDON_UPLOADS_AFTER)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 30*time.Second, "how long in-flight requests may finish on shutdown (INTAKE_SHUTDOWN_TIMEOUT)")
	fs.DurationVar(&c.DrainDelay, "drain-delay", 0, "on SIGTERM, serve this long with /readyz at 503 before closing the listener; 5s behind a load balancer (INTAKE_DRAIN_DELAY)")
	fs.DurationVar(&c.WatchInterval, "watch-interval", time.Minute, "how often watched S3 prefixes and SFTP folders are listed for new files (INTAKE_WATCH_INTERVAL)")
	fs.Int64Var(&c.MaxFileBytes, "max-file-bytes", 1<<30, "largest file the files API takes, whatever the importer allows (INTAKE_MAX_FILE_BYTES)")
	fs.DurationVar(&c.DeliveryTimeout, "delivery-timeout", 10*time.Minute, "longest run of one delivery job; a crashed replica's deliveries resume a minute after it (INTAKE_DELIVERY_TIMEOUT)")

	// Environment first, as the flag defaults; then the command line
	// overrides. Every variable may be given as NAME_FILE instead, the path
	// of a file holding the value (secrets mounted by an orchestrator);
	// both at once is refused rather than one silently winning.
	var envErr error
	given := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) {
		env := "INTAKE_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		v, ok := lookupEnv(env)
		if _, fok := lookupEnv(env + "_FILE"); ok && fok {
			envErr = errors.Join(envErr, fmt.Errorf("%s and %s_FILE are both set: give one", env, env))
			return
		}
		if !ok {
			if path, fok := lookupEnv(env + "_FILE"); fok {
				b, err := os.ReadFile(path)
				if err != nil {
					envErr = errors.Join(envErr, fmt.Errorf("%s_FILE: %w", env, err))
					return
				}
				v, ok = strings.TrimSpace(string(b)), true
			}
		}
		if ok {
			given[f.Name] = true
			if err := f.Value.Set(v); err != nil {
				envErr = errors.Join(envErr, fmt.Errorf("%s: %w", env, err))
			}
		}
	})
	if envErr != nil {
		return Config{}, envErr
	}
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	if c.Domain != "" {
		c.Domain = strings.ToLower(c.Domain)
		if !given["addr"] {
			c.Addr = ":443"
		}
		c.HTTPAddr = cmp.Or(c.HTTPAddr, ":80")
		if c.PublicURL == "" {
			c.PublicURL = "https://" + c.Domain
			if _, port, err := net.SplitHostPort(c.Addr); err == nil && port != "443" {
				c.PublicURL += ":" + port
			}
		}
	}
	prefixes, err := ParseCIDRs(allow)
	if err != nil {
		return Config{}, fmt.Errorf("--outbound-allow: %w", err)
	}
	c.OutboundAllow = prefixes
	c.MaxInflatedChunkBytes = cmp.Or(c.MaxInflatedChunkBytes, 4*c.MaxChunkBytes)
	// check normalises some fields (PublicURL): it runs before c is copied out.
	if err := c.check(); err != nil {
		return c, err
	}
	return c, nil
}

// ParseCIDRs reads a comma-separated list of CIDR prefixes (a bare address
// counts as a single-address prefix).
func ParseCIDRs(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(list, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !strings.Contains(part, "/") {
			a, err := netip.ParseAddr(part)
			if err != nil {
				return nil, fmt.Errorf("%q is not an address or CIDR", part)
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			return nil, fmt.Errorf("%q is not a CIDR", part)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

func (c *Config) check() error {
	var errs []error
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("--tls-cert and --tls-key go together"))
	}
	errs = append(errs, c.checkACME()...)
	if c.MetricsToken != "" && len(c.MetricsToken) < 16 {
		errs = append(errs, errors.New("--metrics-token must be at least 16 characters"))
	}
	if c.MetricsAddr != "" {
		if _, port, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			errs = append(errs, fmt.Errorf("--metrics-addr %q: %w", c.MetricsAddr, err))
		} else if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			errs = append(errs, fmt.Errorf("--metrics-addr %q: bad port", c.MetricsAddr))
		}
	}
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		errs = append(errs, fmt.Errorf("--addr %q: %w", c.Addr, err))
	} else if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		errs = append(errs, fmt.Errorf("--addr %q: bad port", c.Addr))
	} else if !c.TLS() && !c.InsecureHTTP && !IsLoopbackHost(host) {
		errs = append(errs, fmt.Errorf("--addr %q is not a loopback address: give --tls-cert/--tls-key, or --insecure-http behind a TLS proxy", c.Addr))
	}
	if c.PublicURL != "" {
		if u, err := normalizePublicURL(c.PublicURL); err != nil {
			errs = append(errs, fmt.Errorf("--public-url %q: %w", c.PublicURL, err))
		} else {
			c.PublicURL = u
		}
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("--data-dir must not be empty"))
	}
	if c.MaxChunkBytes < 1<<10 || c.MaxChunkBytes > 1<<30 {
		errs = append(errs, errors.New("--max-chunk-bytes must be between 1 KiB and 1 GiB"))
	}
	if c.MaxInflatedChunkBytes < c.MaxChunkBytes || c.MaxInflatedChunkBytes > 4<<30 {
		errs = append(errs, errors.New("--max-inflated-chunk-bytes must be at least --max-chunk-bytes and at most 4 GiB"))
	}
	if c.MaxImportRows < 1 || c.MaxImportRows > 1_000_000_000_000 {
		errs = append(errs, errors.New("--max-import-rows must be from 1 to 10^12"))
	}
	// The widget sends chunks of up to 5,000 rows, and of up to 5,000 rows
	// of a template's 500 columns.
	if c.MaxChunkRows < 5000 || c.MaxChunkRows > 1_000_000 {
		errs = append(errs, errors.New("--max-chunk-rows must be from 5000 to 1000000"))
	}
	if c.MaxChunkCells < 5000 || c.MaxChunkCells > 100_000_000 {
		errs = append(errs, errors.New("--max-chunk-cells must be from 5000 to 100000000"))
	}
	if c.DecodeMemoryBytes < 16<<20 || c.DecodeMemoryBytes > 1<<40 {
		errs = append(errs, errors.New("--decode-memory-bytes must be from 16 MiB to 1 TiB"))
	}
	if c.DrainDelay < 0 || c.DrainDelay > 5*time.Minute {
		errs = append(errs, errors.New("--drain-delay must be from 0 to 5m"))
	}
	if c.DeliveryTimeout < 2*time.Second || c.DeliveryTimeout > 24*time.Hour {
		errs = append(errs, errors.New("--delivery-timeout must be from 2s to 24h"))
	}
	if c.WatchInterval < time.Second {
		errs = append(errs, errors.New("--watch-interval must be at least 1s"))
	}
	if c.MaxFileBytes < 1 {
		errs = append(errs, errors.New("--max-file-bytes must be at least 1"))
	}
	if c.AbandonUploadsAfter < time.Hour || c.AbandonUploadsAfter > 31*24*time.Hour {
		errs = append(errs, errors.New("--abandon-uploads-after must be from 1h to 744h (31 days)"))
	}
	if c.UploadTokenTTL < time.Minute {
		errs = append(errs, errors.New("--upload-token-ttl must be at least 1m"))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("--log-level %q: want debug, info, warn or error", c.LogLevel))
	}
	return errors.Join(errs...)
}

// TLS reports whether Intake serves HTTPS itself (a certificate file or
// ACME for Domain).
func (c Config) TLS() bool { return c.TLSCert != "" || c.Domain != "" }

// checkACME checks the settings of automatic certificates.
func (c *Config) checkACME() []error {
	if c.Domain == "" {
		if c.ACMEEmail != "" || c.ACMEDirectory != "" || c.HTTPAddr != "" {
			return []error{errors.New("--acme-email, --acme-directory and --http-addr go with --domain")}
		}
		return nil
	}
	var errs []error
	if c.TLSCert != "" {
		errs = append(errs, errors.New("--domain and --tls-cert exclude each other: certificates come from ACME or from files"))
	}
	if !isDNSName(c.Domain) {
		errs = append(errs, fmt.Errorf("--domain %q: want a DNS name such as intake.example.com (no scheme, port or IP address; punycode for international names)", c.Domain))
	}
	if c.ACMEDirectory != "" {
		if u, err := url.Parse(c.ACMEDirectory); err != nil || u.Scheme != "https" || u.Host == "" {
			errs = append(errs, fmt.Errorf("--acme-directory %q: want an https:// URL", c.ACMEDirectory))
		}
	}
	if c.ACMEEmail != "" && (!strings.Contains(c.ACMEEmail, "@") || strings.ContainsAny(c.ACMEEmail, " \t\r\n,")) {
		errs = append(errs, fmt.Errorf("--acme-email %q: not an email address", c.ACMEEmail))
	}
	if c.HTTPAddr != "off" {
		if _, port, err := net.SplitHostPort(c.HTTPAddr); err != nil {
			errs = append(errs, fmt.Errorf("--http-addr %q: %w", c.HTTPAddr, err))
		} else if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			errs = append(errs, fmt.Errorf("--http-addr %q: bad port", c.HTTPAddr))
		}
	}
	return errs
}

// isDNSName reports whether name is a fully qualified DNS name a public CA
// issues for: dot-separated labels of letters, digits and inner hyphens,
// at least two of them, the last not all digits (so no IPv4 address).
func isDNSName(name string) bool {
	if len(name) > 253 || !strings.Contains(name, ".") {
		return false
	}
	labels := strings.Split(name, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return strings.Trim(labels[len(labels)-1], "0123456789") != ""
}

// normalizePublicURL checks a public URL is scheme://host[:port] (a
// trailing slash is dropped) and returns it in lower case: Intake serves
// every route at the root, so a path would break its links.
func normalizePublicURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", errors.New("not a URL")
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", errors.New("want scheme://host[:port], such as https://intake.example.com, without a path")
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}

// DemoEnabled reports whether /demo and its importer are served: as Demo
// says, else only when Intake listens on loopback alone and has no public
// URL, so that no deployment reachable by others carries a public importer
// that takes 50 MB uploads from anyone unless it asked for one.
func (c Config) DemoEnabled() bool {
	if c.Demo != nil {
		return *c.Demo
	}
	host, _, err := net.SplitHostPort(c.Addr)
	return err == nil && IsLoopbackHost(host) && c.PublicURL == ""
}

// optionalBool is a boolean flag that remembers whether it was given: nil
// until set, so that a default can depend on other settings.
type optionalBool struct{ p **bool }

func (o optionalBool) String() string {
	if o.p == nil || *o.p == nil {
		return "auto"
	}
	return strconv.FormatBool(**o.p)
}

func (o optionalBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("want true or false")
	}
	*o.p = &v
	return nil
}

func (o optionalBool) IsBoolFlag() bool { return true }

// IsLoopbackHost reports whether host (from an address, without port) can only
// be reached from this machine.
func IsLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

// SQLitePath is the SQLite database file used when DatabaseURL is not PostgreSQL.
func (c Config) SQLitePath() string {
	if p, ok := strings.CutPrefix(c.DatabaseURL, "sqlite://"); ok && p != "" {
		return p
	}
	return filepath.Join(c.DataDir, "intake.db")
}

// IsPostgres reports whether the metadata store is PostgreSQL.
func (c Config) IsPostgres() bool {
	return strings.HasPrefix(c.DatabaseURL, "postgres://") || strings.HasPrefix(c.DatabaseURL, "postgresql://")
}
