package fileimport_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake/internal/fileimport"
	"github.com/intakehq/intake/internal/server/servertest"
	"github.com/intakehq/intake/internal/store"
)

// TestRunResumes: a job whose slice ends after every chunk yields, and each
// later run goes on from the chunks ingest holds, parsing past them without
// sending them again, until the import completes with every row once.
func TestRunResumes(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	s := env.Server
	files := fileimport.New(fileimport.Config{Store: s.Store, Vault: s.Vault, Bucket: s.Bucket, Ingest: s.Ingest,
		Purge: func(ctx context.Context, orgID, id string) error {
			_, err := s.Retention.PurgeImport(ctx, orgID, id)
			return err
		},
		Queue: s.Jobs, Logger: slog.New(slog.DiscardHandler), Slice: time.Nanosecond})
	ctx := context.Background()
	imp := newImporter(t, env, nil)
	importer, err := s.Store.Importer(ctx, env.OrgID, imp.ID)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := files.Submit(ctx, importer, "people.csv", strings.NewReader(csvRows(22_000, nil)), fileimport.Options{}, "")
	if err != nil {
		t.Fatal(err)
	}
	runs := 0
	for done := false; !done; runs++ {
		if done, err = files.Run(ctx, sub.ImportID); err != nil {
			t.Fatal(err)
		}
		if runs > 10 {
			t.Fatal("the job never finished")
		}
	}
	im, err := s.Store.Import(ctx, env.OrgID, sub.ImportID)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := s.Store.FileImport(ctx, env.OrgID, sub.ImportID)
	// 5 chunks: a run sends one, then yields; the last run completes.
	if runs != 5 || im.Status != store.StatusCompleted || im.RowsReceived != 22_000 || im.ChunksReceived != 5 || fi.State != store.FileCompleted {
		t.Fatalf("%d runs: import %+v, file %+v", runs, im, fi)
	}
}
