package cli

import (
	"context"
	"flag"

	"github.com/intakehq/intake/internal/retention"
)

// runAudit: intake audit verify [--org NAME]. It walks each organization's
// chain of deletion receipts and prints one JSON line per organization; the
// exit code is 2 when any chain is broken (a receipt removed or edited).
func runAudit(ctx context.Context, args []string, s Streams) int {
	if len(args) == 0 || args[0] != "verify" {
		return groupUsage(s, args, `Usage:
  intake audit verify [--org NAME] [store flags]

Store flags are those of 'intake serve' (--data-dir, --database-url, …).`)
	}
	var org string
	st, code := openStore(ctx, "intake audit verify", args[1:], func(fs *flag.FlagSet) {
		fs.StringVar(&org, "org", "", "verify this organization only (default: every one)")
	}, s)
	if st == nil {
		return code
	}
	defer st.Close()
	var orgIDs []string
	if org != "" {
		o, err := st.OrgByName(ctx, org)
		if err != nil {
			errorf(s, "audit verify: organization %q: %v", org, err)
			return exitInvalid
		}
		orgIDs = []string{o.ID}
	} else {
		var err error
		if orgIDs, err = st.OrgIDs(ctx); err != nil {
			errorf(s, "audit verify: %v", err)
			return exitFailure
		}
	}
	broken := false
	for _, id := range orgIDs {
		a, err := retention.Verify(ctx, st, id)
		if err != nil {
			errorf(s, "audit verify: %v", err)
			return exitFailure
		}
		if code := printJSON(s, a); code != exitOK {
			return code
		}
		broken = broken || !a.OK
	}
	if broken {
		errorf(s, "audit verify: receipt chain broken")
		return exitInvalid
	}
	return exitOK
}
