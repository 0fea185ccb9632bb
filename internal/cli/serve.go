package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"syscall"

	"github.com/intakehq/intake/internal/config"
	"github.com/intakehq/intake/internal/server"
)

func runServe(ctx context.Context, args []string, s Streams) int {
	cfg, code, ok := loadConfig("intake serve", args, nil, s)
	if !ok {
		return code
	}
	logger := newLogger(s, cfg.LogLevel)
	srv, err := server.Open(ctx, cfg, logger)
	if err != nil {
		logger.Error("start failed", "err", err)
		return exitFailure
	}
	defer srv.Close()
	// The setup link is printed once the port is bound: a link printed
	// before would point at nothing, or at whatever else holds the port.
	err = srv.Serve(ctx, func(addr net.Addr) error {
		if err := printSetupLink(ctx, cfg, addr, srv.Store, s); err != nil {
			return fmt.Errorf("first-run setup: %w", err)
		}
		return nil
	})
	if errors.Is(err, syscall.EADDRINUSE) {
		addr, flag := busyAddr(err, cfg)
		fmt.Fprintf(s.Err, "intake serve: %s is already in use (another intake serve?): stop what listens there, or choose another address with %s\n", addr, flag)
		return exitFailure
	}
	if err != nil {
		logger.Error("server stopped", "err", err)
		return exitFailure
	}
	return exitOK
}

// newLogger writes JSON lines to standard error. Attributes are ids, counts
// and durations; no handler in Intake logs a request body or a cell value.
func newLogger(s Streams, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(s.Err, &slog.HandlerOptions{Level: l}))
}

// busyAddr names the address a listen failed on and the flag that sets it:
// with --domain or --metrics-addr, Intake listens on more than --addr.
func busyAddr(err error, cfg config.Config) (addr, flag string) {
	addr, flag = cfg.Addr, "--addr"
	var op *net.OpError
	if !errors.As(err, &op) || op.Addr == nil {
		return addr, flag
	}
	addr = op.Addr.String()
	for _, f := range []struct{ value, flag string }{{cfg.HTTPAddr, "--http-addr"}, {cfg.MetricsAddr, "--metrics-addr"}} {
		if f.value != "" && f.value == addr {
			flag = f.flag
		}
	}
	return addr, flag
}
