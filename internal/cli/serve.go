package cli

import (
	"context"
	"log/slog"

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
	if err := printSetupLink(ctx, cfg, srv.Store, s); err != nil {
		logger.Error("first-run setup", "err", err)
		return exitFailure
	}
	if err := srv.Serve(ctx, nil); err != nil {
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
