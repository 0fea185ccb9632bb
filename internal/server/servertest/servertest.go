// Package servertest starts a real Intake server in-process for tests: real
// SQLite or PostgreSQL, real file or S3 blob store (an in-process
// S3-compatible server behind the real S3 client), real HTTP on loopback,
// and an organization with an API key.
package servertest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/intakehq/intake/internal/auth"
	"github.com/intakehq/intake/internal/config"
	"github.com/intakehq/intake/internal/server"
	"github.com/intakehq/intake/internal/store"
	"github.com/intakehq/intake/internal/store/storetest"
)

var setS3Credentials sync.Once

// Env is a running test server.
type Env struct {
	URL     string
	Server  *server.Server
	DataDir string
	OrgID   string
	APIKey  string
	// Logs holds everything the server logged (JSON lines).
	Logs *SyncBuffer
	// S3 is the in-process S3 backend when the env uses S3 (nil otherwise).
	S3 *s3mem.Backend
}

// Options choose the backends.
type Options struct {
	Postgres bool // PostgreSQL from INTAKE_TEST_DATABASE_URL (skips when unset outside CI)
	S3       bool // blobs in an in-process S3-compatible server
	// Configure may adjust the configuration before the server opens.
	Configure func(*config.Config)
}

// SyncBuffer is a goroutine-safe log sink.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Start opens a server per o and registers its shutdown with t.Cleanup.
func Start(t testing.TB, o Options) *Env {
	t.Helper()
	ctx := context.Background()
	env := &Env{DataDir: t.TempDir(), Logs: &SyncBuffer{}}
	cfg, err := config.Load("test", []string{"--data-dir", env.DataDir, "--log-level", "debug"}, func(string) (string, bool) { return "", false }, io.Discard, nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.Postgres {
		cfg.DatabaseURL = storetest.PostgresURL(t)
		if cfg.DatabaseURL == "" {
			t.Skip("PostgreSQL not configured")
		}
	}
	if o.S3 {
		env.S3 = s3mem.New()
		faker := gofakes3.New(env.S3)
		s3srv := httptest.NewServer(faker.Server())
		t.Cleanup(s3srv.Close)
		if err := env.S3.CreateBucket("intake"); err != nil {
			t.Fatal(err)
		}
		setS3Credentials.Do(func() {
			// Process-wide, so parallel tests may share it; the fake server
			// accepts any signed request.
			os.Setenv("AWS_ACCESS_KEY_ID", "intake-test")
			os.Setenv("AWS_SECRET_ACCESS_KEY", "intake-test")
		})
		cfg.BlobURL = "s3://intake?region=us-east-1&use_path_style=true&endpoint=" + url.QueryEscape(
			s3srv.URL)
	}
	if o.Configure != nil {
		o.Configure(&cfg)
	}
	logger := slog.New(slog.NewJSONHandler(env.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := server.Open(ctx, cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	env.Server = srv
	hs := httptest.NewServer(srv.Handler)
	env.URL = hs.URL
	t.Cleanup(func() {
		hs.Close()
		srv.Close()
	})
	env.OrgID, env.APIKey = env.NewOrg(t, "org-"+store.RandomToken(4))
	return env
}

// NewOrg creates an organization with an owner and returns its id and API key.
func (e *Env) NewOrg(t testing.TB, name string) (orgID, apiKey string) {
	t.Helper()
	hash, err := auth.HashPassword("test-password-1")
	if err != nil {
		t.Fatal(err)
	}
	key := "ik_" + store.RandomToken(32)
	org, err := e.Server.Store.CreateOrgWithOwner(context.Background(), name, name+"@example.com", hash, key[:10], store.HashSecret(key))
	if err != nil {
		t.Fatal(err)
	}
	return org.ID, key
}

// Do sends a request with an optional bearer token and JSON body (a []byte
// is sent as is) and decodes a JSON answer into out when out is not nil.
func (e *Env) Do(t testing.TB, method, path, token string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: decode %q: %v", method, path, data, err)
		}
	}
	return resp.StatusCode
}

// AllowLoopback lets outbound connections reach 127.0.0.0/8, which the
// outbound guard refuses by default: tests' webhook receivers listen there.
// Use it as Options.Configure (or call it from one).
func AllowLoopback(c *config.Config) {
	c.OutboundAllow = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
}

// StartJobs starts the server's job queue (deliveries, retention), as Serve
// does, and stops it when the test ends.
func (e *Env) StartJobs(t testing.TB) {
	t.Helper()
	if err := e.Server.Jobs.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := e.Server.Jobs.Stop(ctx); err != nil {
			t.Logf("stop the job queue: %v", err)
		}
	})
}
