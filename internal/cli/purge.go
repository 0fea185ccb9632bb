package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/intakehq/intake/internal/retention"
	"github.com/intakehq/intake/internal/server"
)

// runPurge: intake purge --import ID | --importer ID | --all --org NAME |
// --expired. It opens the same store, vault and blob store as `intake serve`
// (same flags and variables), and nothing else, and prints what was
// shredded as JSON.
func runPurge(ctx context.Context, args []string, s Streams) int {
	var importID, importerID, org string
	var all, expired bool
	cfg, code, ok := loadConfig("intake purge", args, func(fs *flag.FlagSet) {
		fs.StringVar(&importID, "import", "", "purge this import")
		fs.StringVar(&importerID, "importer", "", "purge every import of this importer")
		fs.BoolVar(&all, "all", false, "purge every import of the organization named by --org")
		fs.StringVar(&org, "org", "", "organization name (with --all)")
		fs.BoolVar(&expired, "expired", false, "purge what retention says is due (for cron)")
	}, s)
	if !ok {
		return code
	}
	chosen := 0
	for _, set := range []bool{importID != "", importerID != "", all, expired} {
		if set {
			chosen++
		}
	}
	if chosen != 1 || all != (org != "") {
		errorf(s, "purge: give exactly one of --import ID, --importer ID, --all --org NAME, --expired")
		return exitInvalid
	}
	srv, err := server.OpenRetention(ctx, cfg, newLogger(s, cfg.LogLevel))
	if err != nil {
		errorf(s, "purge: %v", err)
		return exitFailure
	}
	defer srv.Close()
	res, err := purge(ctx, srv, importID, importerID, org, expired)
	if code := printJSON(s, res); code != exitOK {
		return code
	}
	if err != nil {
		errorf(s, "purge: %v", err)
		return exitFailure
	}
	return exitOK
}

func purge(ctx context.Context, srv *server.Server, importID, importerID, org string, expired bool) (retention.Result, error) {
	st, svc := srv.Store, srv.Retention
	switch {
	case expired:
		return svc.PurgeDue(ctx)
	case importID != "":
		im, err := st.ImportByID(ctx, importID)
		if err != nil {
			return retention.Result{}, fmt.Errorf("import %s: %w", importID, err)
		}
		return svc.PurgeImport(ctx, im.OrgID, im.ID)
	case importerID != "":
		orgID, err := st.ImporterOrgID(ctx, importerID)
		if err != nil {
			return retention.Result{}, fmt.Errorf("importer %s: %w", importerID, err)
		}
		return svc.PurgeImporter(ctx, orgID, importerID)
	}
	o, err := st.OrgByName(ctx, org)
	if err != nil {
		return retention.Result{}, fmt.Errorf("organization %q: %w", org, err)
	}
	return svc.PurgeOrg(ctx, o.ID)
}
