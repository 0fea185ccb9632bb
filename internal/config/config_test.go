package config

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
