package config

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoadPrecedenceAndDefaults(t *testing.T) {
	t.Parallel()
	secret := filepath.Join(t.TempDir(), "db-url")
	os.WriteFile(secret, []byte("postgres://u@127.0.0.1/db\n"), 0o600)
	cases := []struct {
		name  string
		args  []string
		env   map[string]string
		check func(c Config) bool
	}{
		{"defaults", nil, nil, func(c Config) bool {
			return c.Addr == DefaultAddr && c.DataDir == DefaultDataDir && !c.IsPostgres() &&
				c.MaxInflatedChunkBytes == 4*c.MaxChunkBytes && c.SQLitePath() == filepath.Join(DefaultDataDir, "intake.db")
		}},
		// Every anonymous upload has a bounded cost by default.
		{"upload bounds by default", nil, nil, func(c Config) bool {
			return c.MaxImportRows == DefaultMaxImportRows && c.MaxChunkRows == DefaultMaxChunkRows &&
				c.MaxChunkCells == DefaultMaxChunkCells && c.DecodeMemoryBytes == DefaultDecodeMemory
		}},
		{"upload bounds from env and flags", []string{"--max-chunk-rows", "6000", "--decode-memory-bytes", "67108864"},
			map[string]string{"INTAKE_MAX_IMPORT_ROWS": "1000", "INTAKE_MAX_CHUNK_CELLS": "90000"}, func(c Config) bool {
				return c.MaxImportRows == 1000 && c.MaxChunkRows == 6000 && c.MaxChunkCells == 90000 && c.DecodeMemoryBytes == 64<<20
			}},
		{"env", nil, map[string]string{"INTAKE_ADDR": "127.0.0.1:9999", "INTAKE_DATA_DIR": "/tmp/x"}, func(c Config) bool {
			return c.Addr == "127.0.0.1:9999" && c.DataDir == "/tmp/x"
		}},
		{"flag wins", []string{"--addr", "[::1]:7000"}, map[string]string{"INTAKE_ADDR": "127.0.0.1:9999"}, func(c Config) bool {
			return c.Addr == "[::1]:7000"
		}},
		{"_FILE secret", nil, map[string]string{"INTAKE_DATABASE_URL_FILE": secret}, func(c Config) bool {
			return c.DatabaseURL == "postgres://u@127.0.0.1/db" && c.IsPostgres()
		}},
		{"insecure public", []string{"--addr", "0.0.0.0:8080", "--insecure-http"}, nil, func(c Config) bool { return c.InsecureHTTP }},
		{"public url normalised", []string{"--public-url", "HTTPS://Intake.Example.com/"}, nil, func(c Config) bool {
			return c.PublicURL == "https://intake.example.com"
		}},
		{"demo on loopback", nil, nil, func(c Config) bool { return c.DemoEnabled() }},
		{"no demo with a public url", []string{"--public-url", "https://intake.example.com"}, nil, func(c Config) bool { return !c.DemoEnabled() }},
		{"no demo off loopback", []string{"--addr", "0.0.0.0:8080", "--insecure-http"}, nil, func(c Config) bool { return !c.DemoEnabled() }},
		{"--demo asks for it", []string{"--addr", "0.0.0.0:8080", "--insecure-http", "--demo"}, nil, func(c Config) bool { return c.DemoEnabled() }},
		{"INTAKE_DEMO asks for it", []string{"--public-url", "https://intake.example.com"}, map[string]string{"INTAKE_DEMO": "true"}, func(c Config) bool { return c.DemoEnabled() }},
		{"--demo=false on loopback", []string{"--demo=false"}, nil, func(c Config) bool { return !c.DemoEnabled() }},
		{"domain: https on :443, redirect on :80, public url", []string{"--domain", "Intake.Example.com"}, nil, func(c Config) bool {
			return c.Domain == "intake.example.com" && c.Addr == ":443" && c.HTTPAddr == ":80" && c.TLS() &&
				c.PublicURL == "https://intake.example.com" && !c.DemoEnabled()
		}},
		{"domain from env, own ports", []string{"--addr", ":8443", "--http-addr", "off"}, map[string]string{"INTAKE_DOMAIN": "intake.example.com"}, func(c Config) bool {
			return c.Addr == ":8443" && c.HTTPAddr == "off" && c.PublicURL == "https://intake.example.com:8443"
		}},
		{"domain keeps addr from env", nil, map[string]string{"INTAKE_DOMAIN": "intake.example.com", "INTAKE_ADDR": "10.0.0.1:443"}, func(c Config) bool {
			return c.Addr == "10.0.0.1:443"
		}},
		{"abandoned uploads", nil, map[string]string{"INTAKE_ABANDON_UPLOADS_AFTER": "6h"}, func(c Config) bool { return c.AbandonUploadsAfter == 6*time.Hour }},
		{"metrics", []string{"--metrics-addr", "127.0.0.1:9090"}, map[string]string{"INTAKE_METRICS_TOKEN": "0123456789abcdef"}, func(c Config) bool {
			return c.MetricsAddr == "127.0.0.1:9090" && c.MetricsToken == "0123456789abcdef"
		}},
		{"allow list", []string{"--outbound-allow", "10.0.0.0/8, 192.168.1.5"}, nil, func(c Config) bool {
			return len(c.OutboundAllow) == 2 && c.OutboundAllow[1].Bits() == 32
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Load("intake serve", c.args, env(c.env), io.Discard, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !c.check(got) {
				t.Fatalf("unexpected config %+v", got)
			}
		})
	}
}

// TestEverySecretFromFile: each setting that can hold a secret (a
// password in a database URL, credentials in a blob URL, a key in a
// base64key:// master key URL, the metrics token) is read from NAME_FILE,
// trimmed of its final newline.
func TestEverySecretFromFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct {
		env, value string
		get        func(Config) string
	}{
		{"INTAKE_DATABASE_URL", "postgres://intake:pw@127.0.0.1:5432/intake", func(c Config) string { return c.DatabaseURL }},
		{"INTAKE_BLOB_URL", "s3://bucket?region=eu-west-1", func(c Config) string { return c.BlobURL }},
		{"INTAKE_MASTER_KEY_URL", "base64key://c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0cw==", func(c Config) string { return c.MasterKeyURL }},
		{"INTAKE_METRICS_TOKEN", "0123456789abcdef0123", func(c Config) string { return c.MetricsToken }},
		{"INTAKE_VAULT_TOKEN", "hvs.CAESIJ0123456789", func(c Config) string { return c.VaultToken }},
		{"INTAKE_TLS_KEY", "/etc/intake/key.pem", func(c Config) string { return c.TLSKey }},
	} {
		path := filepath.Join(dir, tc.env)
		if err := os.WriteFile(path, []byte(tc.value+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		e := map[string]string{tc.env + "_FILE": path}
		if tc.env == "INTAKE_TLS_KEY" {
			e["INTAKE_TLS_CERT"] = "/etc/intake/cert.pem"
		}
		c, err := Load("intake serve", nil, env(e), io.Discard, nil)
		if err != nil {
			t.Fatalf("%s_FILE: %v", tc.env, err)
		}
		if got := tc.get(c); got != tc.value {
			t.Errorf("%s_FILE: %q", tc.env, got)
		}
	}
}

func TestLoadRefuses(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"public without tls", []string{"--addr", "0.0.0.0:8080"}, nil, "not a loopback address"},
		{"cert without key", []string{"--tls-cert", "c.pem"}, nil, "go together"},
		{"bad port", []string{"--addr", "127.0.0.1:99999"}, nil, "bad port"},
		{"bad env bool", nil, map[string]string{"INTAKE_INSECURE_HTTP": "maybe"}, "INTAKE_INSECURE_HTTP"},
		{"bad cidr", []string{"--outbound-allow", "10.0.0.0/99"}, nil, "outbound-allow"},
		{"bad level", []string{"--log-level", "loud"}, nil, "log-level"},
		{"tiny chunks", []string{"--max-chunk-bytes", "10"}, nil, "max-chunk-bytes"},
		{"no import rows", []string{"--max-import-rows", "0"}, nil, "max-import-rows"},
		{"chunk rows below the widget's", []string{"--max-chunk-rows", "4999"}, nil, "max-chunk-rows"},
		{"too few chunk cells", []string{"--max-chunk-cells", "10"}, nil, "max-chunk-cells"},
		{"tiny decode memory", []string{"--decode-memory-bytes", "1048576"}, nil, "decode-memory-bytes"},
		{"public url with a path", []string{"--public-url", "https://intake.example.com/intake"}, nil, "without a path"},
		{"public url without scheme", []string{"--public-url", "intake.example.com"}, nil, "--public-url"},
		{"bad demo", nil, map[string]string{"INTAKE_DEMO": "perhaps"}, "INTAKE_DEMO"},
		{"unknown flag", []string{"--nope"}, nil, "not defined"},
		{"stray argument", []string{"extra"}, nil, "unexpected argument"},
		{"missing _FILE", nil, map[string]string{"INTAKE_TLS_KEY_FILE": "/nonexistent/k"}, "INTAKE_TLS_KEY_FILE"},
		{"variable and _FILE", nil, map[string]string{"INTAKE_METRICS_TOKEN": "0123456789abcdef", "INTAKE_METRICS_TOKEN_FILE": "/dev/null"}, "both set"},
		{"domain and certificate", []string{"--domain", "intake.example.com", "--tls-cert", "c", "--tls-key", "k"}, nil, "exclude each other"},
		{"domain with scheme", []string{"--domain", "https://intake.example.com"}, nil, "want a DNS name"},
		{"domain with port", []string{"--domain", "intake.example.com:443"}, nil, "want a DNS name"},
		{"domain as IPv4", []string{"--domain", "192.0.2.7"}, nil, "want a DNS name"},
		{"domain as IPv6", []string{"--domain", "::1"}, nil, "want a DNS name"},
		{"single-label domain", []string{"--domain", "localhost"}, nil, "want a DNS name"},
		{"domain with underscore", []string{"--domain", "in_take.example.com"}, nil, "want a DNS name"},
		{"acme directory over http", []string{"--domain", "intake.example.com", "--acme-directory", "http://ca.example.com/dir"}, nil, "https://"},
		{"acme email", []string{"--domain", "intake.example.com", "--acme-email", "nobody"}, nil, "acme-email"},
		{"acme settings without domain", []string{"--acme-email", "ops@example.com"}, nil, "go with --domain"},
		{"bad http addr", []string{"--domain", "intake.example.com", "--http-addr", "80"}, nil, "--http-addr"},
		{"short metrics token", []string{"--metrics-token", "short"}, nil, "at least 16"},
		{"abandoned uploads kept minutes", []string{"--abandon-uploads-after", "10m"}, nil, "abandon-uploads-after"},
		{"bad metrics addr", []string{"--metrics-addr", "9090"}, nil, "--metrics-addr"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load("intake serve", c.args, env(c.env), io.Discard, nil)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to mention %q", err, c.want)
			}
		})
	}
}
