package cli

import (
	"context"
	"flag"

	"github.com/intakehq/intake/internal/server"
	"github.com/intakehq/intake/internal/vault"
)

// runKeys: intake keys rotate --new-master-key-url URL [serve flags]. It
// re-wraps every import's data key and every destination's settings key,
// wrapped by the current master key (--master-key-url, or DATA_DIR's
// master.key), under the new one, and prints the counts as JSON. No chunk
// is read or written: the data keys stay the same, only their wrapping
// changes. Replicas must not run meanwhile (they unwrap with one master
// key, which would be the wrong one for part of the imports); afterwards
// start them with the new key. Interrupted, it can run again: what the
// new key already opens is left as it is.
func runKeys(ctx context.Context, args []string, s Streams) int {
	if len(args) == 0 || args[0] != "rotate" {
		return groupUsage(s, args, `Usage:
  intake keys rotate --new-master-key-url URL [store flags]

URL is a master key as --master-key-url takes it (file:///path to a 32-byte
key file, awskms://, gcpkms://, hashivault://, base64key://). Store flags are
those of 'intake serve' (--data-dir, --database-url, --master-key-url, …).`)
	}
	var newURL string
	cfg, code, ok := loadConfig("intake keys rotate", args[1:], func(fs *flag.FlagSet) {
		fs.StringVar(&newURL, "new-master-key-url", "", "the master key to wrap every data key under")
	}, s)
	if !ok {
		return code
	}
	if newURL == "" {
		errorf(s, "keys rotate: --new-master-key-url is required")
		return exitInvalid
	}
	srv, err := server.OpenRetention(ctx, cfg, newLogger(s, cfg.LogLevel))
	if err != nil {
		errorf(s, "keys rotate: %v", err)
		return exitFailure
	}
	defer srv.Close()
	to, err := vault.Open(ctx, newURL, cfg.DataDir, vault.WithVaultToken(cfg.VaultToken))
	if err != nil {
		errorf(s, "keys rotate: new master key: %v", err)
		return exitFailure
	}
	defer to.Close()
	counts, err := srv.Store.RewrapKeys(ctx, func(ctx context.Context, _ string, wrapped []byte) ([]byte, error) {
		return srv.Vault.Rewrap(ctx, to, wrapped)
	}, func(ctx context.Context, _ string, sealed []byte) ([]byte, error) {
		return srv.Vault.RewrapSecret(ctx, to, sealed)
	})
	if code := printJSON(s, counts); code != exitOK {
		return code
	}
	if err != nil {
		errorf(s, "keys rotate: %v (run it again: what is done stays done)", err)
		return exitFailure
	}
	return exitOK
}
