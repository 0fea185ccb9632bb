package delivery

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/intakehq/intake/internal/benchrun/rawlimit"
	"github.com/intakehq/intake/internal/delivery/destination"
	"github.com/intakehq/intake/internal/delivery/outbound"
	"github.com/intakehq/intake/internal/delivery/webhook"
	"github.com/intakehq/intake/internal/rows"
)

// benchRows loads the reference data set (node ../shared/bench/gen-data.mjs
// --out /tmp/bench-data --sizes 1m --no-xlsx), or skips.
func benchRows(b *testing.B) ([]string, [][]*string) {
	b.Helper()
	f, err := os.Open("/tmp/bench-data/rows-1m.csv")
	if err != nil {
		b.Skip("no /tmp/bench-data/rows-1m.csv; see docs/benchmarks.md")
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.ReuseRecord = false
	header, err := r.Read()
	if err != nil {
		b.Fatal(err)
	}
	var data [][]*string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		row := make([]*string, len(rec))
		for i := range rec {
			if rec[i] != "" {
				row[i] = &rec[i]
			}
		}
		data = append(data, row)
	}
	return header, data
}

// BenchmarkDelivery1M delivers 1M rows in 1,000-row batches to a receiver
// on 127.0.0.1 through the whole delivery path (worker, encoder, signer,
// guarded client, attempt records), and, in the same run against the same
// receiver, posts the same batches with a bare net/http client that
// encodes them with encoding/json (the baseline of the 50% target) and, as
// a transport ceiling, posts the bytes already encoded. Run: go test -run '^$' -bench Delivery1M -benchtime 1x -count 3
func BenchmarkDelivery1M(b *testing.B) {
	header, data := benchRows(b)
	sink, err := rawlimit.NewSink()
	if err != nil {
		b.Fatal(err)
	}
	defer sink.Close()
	url := sink.URL

	imp := destination.Import{ID: "imp_bench", Importer: "pub_bench", Columns: header, Rows: len(data)}
	st := &memStore{failRecordAt: -1, rows: data}
	secret := webhook.NewSecret()
	w, err := NewWorker(WorkerConfig{
		Store:      st,
		Policy:     outbound.NewPolicy([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}),
		Logger:     slog.New(slog.DiscardHandler),
		Slice:      time.Hour,
		JobTimeout: 2 * time.Hour,
	})
	if err != nil {
		b.Fatal(err)
	}

	// The bare client's bodies: the same batches, encoded once up front.
	enc := webhook.NewEncoder(imp)
	var bodies [][]byte
	for i := 0; i < len(data); i += destination.DefaultBatchSize {
		bodies = append(bodies, enc.AppendBatch(nil, rows.Batch{Index: i / destination.DefaultBatchSize, FirstRow: i, Rows: data[i:min(len(data), i+destination.DefaultBatchSize)]}))
	}
	post := func(body []byte) {
		if err := rawlimit.Post(url, body); err != nil {
			b.Fatal(err)
		}
	}
	// What a bare client posting these batches does: encoding/json builds
	// the same payload shape (rows as objects keyed by column), no
	// signature, no guard, no records.
	type payload struct {
		ImportID string `json:"import_id"`
		Importer string `json:"importer"`
		Batch    struct {
			Index    int                  `json:"index"`
			Count    int                  `json:"count"`
			FirstRow int                  `json:"first_row"`
			Rows     []map[string]*string `json:"rows"`
		} `json:"batch"`
		Metadata any `json:"metadata"`
	}

	var ours, baseline, raw time.Duration
	b.ResetTimer()
	for n := range b.N {
		start := time.Now()
		for _, body := range bodies {
			post(body)
		}
		raw += time.Since(start)

		start = time.Now()
		for i := 0; i < len(data); i += destination.DefaultBatchSize {
			p := payload{ImportID: imp.ID, Importer: imp.Importer}
			p.Batch.Index, p.Batch.FirstRow = i/destination.DefaultBatchSize, i
			for _, row := range data[i:min(len(data), i+destination.DefaultBatchSize)] {
				obj := make(map[string]*string, len(header))
				for j, c := range header {
					obj[c] = row[j]
				}
				p.Batch.Rows = append(p.Batch.Rows, obj)
			}
			p.Batch.Count = len(p.Batch.Rows)
			body, err := json.Marshal(p)
			if err != nil {
				b.Fatal(err)
			}
			post(body)
		}
		baseline += time.Since(start)

		st.d = Job{ID: "dlv" + strconv.Itoa(n), Import: imp, Destination: Target{
			ID: "dst", Kind: Webhook, Webhook: webhook.Endpoint{URL: url, Secrets: []string{secret}},
		}}
		st.attempts = st.attempts[:0]
		start = time.Now()
		step, err := w.Run(context.Background(), st.d.ID)
		ours += time.Since(start)
		if err != nil || !step.Done || st.progress().State != Delivered {
			b.Fatalf("delivery: %+v %v %+v", step, err, st.progress())
		}
	}
	b.StopTimer()
	perSec := func(d time.Duration) float64 { return float64(len(data)*b.N) / d.Seconds() }
	b.ReportMetric(perSec(ours), "rows/s")
	b.ReportMetric(perSec(baseline), "bare-rows/s")
	b.ReportMetric(perSec(ours)/perSec(baseline), "ratio")
	b.ReportMetric(perSec(raw), "preencoded-rows/s")
}
