package fileimport_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake/internal/cputime"
	"github.com/intakehq/intake/internal/fileimport"
	"github.com/intakehq/intake/internal/parse"
	"github.com/intakehq/intake/internal/server"
	"github.com/intakehq/intake/internal/server/servertest"
	"github.com/intakehq/intake/internal/store"
	"github.com/intakehq/intake/internal/template"
)

// BenchmarkFileImport1M runs a file import of the shared 1M-row data set,
// CSV and XLSX, through the server's job (parse, map, chunk, validate,
// claim, seal, store, complete) on real SQLite and file blobs, beside the
// raw limit measured in the same run: the parser alone reading the same
// file (package parse, the rows mapped onto the template as the job maps
// them). Figures are rows per CPU-second of the whole process
// (internal/cputime). One core:
//
//	go test -run '^$' -bench FileImport1M -benchtime 1x -cpu 1 ./internal/fileimport/
func BenchmarkFileImport1M(b *testing.B) {
	files := map[string]string{"csv": "/tmp/bench-data/rows-1m.csv", "xlsx": "/tmp/bench-xlsx/rows-1m.xlsx"}
	templates := map[string]string{"typed": servertest.TypedTemplate, "demo": string(server.DemoTemplate)}
	for _, format := range []string{"csv", "xlsx"} {
		path := files[format]
		if _, err := os.Stat(path); err != nil {
			b.Logf("%s: %v (gen-data.mjs writes the CSV, go test -bench XLSX1M ./internal/parse/ the XLSX)", path, err)
			continue
		}
		for _, name := range []string{"typed", "demo"} {
			b.Run(format+"/"+name, func(b *testing.B) {
				tpl, err := template.Parse([]byte(templates[name]))
				if err != nil {
					b.Fatal(err)
				}
				var rows int64
				cpu := cpuNow()
				for range b.N {
					rows = parseOnly(b, path, tpl)
				}
				parseCPU := (cpuNow() - cpu).Seconds()

				env := servertest.Start(b, servertest.Options{})
				im := newBenchImporter(b, env, templates[name])
				cpu = cpuNow()
				for range b.N {
					runImport(b, env, im, path, rows)
				}
				importCPU := (cpuNow() - cpu).Seconds()
				b.ReportMetric(float64(rows)*float64(b.N)/importCPU, "import-rows/cpu-s")
				b.ReportMetric(float64(rows)*float64(b.N)/parseCPU, "parse-rows/cpu-s")
				b.ReportMetric(parseCPU/importCPU, "of-parse")
			})
		}
	}
}

func cpuNow() time.Duration {
	d, _ := cputime.Process()
	return d
}

func parseOnly(b *testing.B, path string, tpl *template.Template) int64 {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	info, _ := f.Stat()
	rs, _, err := fileimport.Open(f, info.Size(), filepath.Base(path), tpl, fileimport.Options{}, nil, parse.Limits{})
	if err != nil {
		b.Fatal(err)
	}
	defer rs.Close()
	var n int64
	for {
		if _, err := rs.Next(); err != nil {
			if !errors.Is(err, io.EOF) {
				b.Fatal(err)
			}
			return n
		}
		n++
	}
}

func newBenchImporter(b *testing.B, env *servertest.Env, tpl string) store.Importer {
	im, err := env.Server.Store.CreateImporter(context.Background(), env.OrgID, store.Importer{Name: "bench",
		Template: []byte(tpl), Mode: store.ModeStored, RetentionDays: 1, AllowedOrigins: []string{}, AllowInvalid: true})
	if err != nil {
		b.Fatal(err)
	}
	return im
}

func runImport(b *testing.B, env *servertest.Env, im store.Importer, path string, rows int64) {
	ctx := context.Background()
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sub, err := env.Server.Files.Submit(ctx, im, filepath.Base(path), f, fileimport.Options{}, "")
	if err != nil {
		b.Fatal(err)
	}
	for {
		done, err := env.Server.Files.Run(ctx, sub.ImportID)
		if err != nil {
			b.Fatal(err)
		}
		if done {
			break
		}
	}
	st, err := env.Server.Store.FileImport(ctx, env.OrgID, sub.ImportID)
	if err != nil || st.State != store.FileCompleted || st.RowsParsed != rows {
		b.Fatalf("import: %+v %v (%s)", st, err, strings.TrimSpace(st.FailureMessage))
	}
}
