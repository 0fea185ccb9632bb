package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/intakehq/intake/internal/benchrun"
	"github.com/intakehq/intake/internal/ingest"
	"github.com/intakehq/intake/internal/server/servertest"
)

// BenchmarkDeliveryEndToEnd measures a webhook delivery of a stored import
// through the whole server path, from the replay request to the receiver's
// import.completed: River picks the job up, chunks are read from the blob
// store and decrypted, rows are cut into 1,000-row batches, encoded,
// signed, sent through the SSRF guard to a receiver on 127.0.0.1 that reads
// and discards each body, and every attempt is recorded in the store (one
// transaction per batch). Embedded mode: SQLite and file blobs.
func BenchmarkDeliveryEndToEnd(b *testing.B) {
	for _, size := range []string{"100k", "1m"} {
		b.Run(size, func(b *testing.B) {
			header, bodies, rows := gzipChunks(b, benchData(b, "rows-"+size+".csv"), 5000)
			env := servertest.Start(b, servertest.Options{Configure: servertest.AllowLoopback})
			var im struct{ ID, Key string }
			env.Do(b, "POST", "/api/v1/importers", env.APIKey, map[string]any{"name": "bench", "allow_invalid": true,
				"template": json.RawMessage(servertest.TypedTemplate)}, &im)
			ctx := context.Background()
			var up struct {
				ImportID    string `json:"import_id"`
				UploadToken string `json:"upload_token"`
			}
			env.Do(b, "POST", "/api/v1/uploads", "", map[string]any{"importer": im.Key, "columns": header,
				"source": map[string]any{"format": "csv", "size_bytes": 1}, "rows": rows}, &up)
			for n, body := range bodies {
				if _, err := env.Server.Ingest.PutChunk(ctx, up.ImportID, up.UploadToken, n, "gzip", bytes.NewReader(body)); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := env.Server.Ingest.Complete(ctx, up.ImportID, up.UploadToken, ingest.CompleteRequest{Chunks: len(bodies), Rows: int64(rows)}); err != nil {
				b.Fatal(err)
			}
			rcv := benchrun.NewReceiver()
			defer rcv.Close()
			// Created after completion, so only the replays below deliver.
			var dest struct{ ID string }
			env.Do(b, "POST", "/api/v1/importers/"+im.ID+"/destinations", env.APIKey, map[string]any{"type": "webhook", "url": rcv.URL}, &dest)
			if err := env.Server.Jobs.Start(ctx); err != nil {
				b.Fatal(err)
			}
			defer env.Server.Jobs.Stop(ctx)
			cpu0 := cpuTime()
			b.ResetTimer()
			for range b.N {
				if code := env.Do(b, "POST", "/api/v1/imports/"+up.ImportID+"/deliveries/"+dest.ID+"/replay", env.APIKey, nil, nil); code != http.StatusAccepted {
					b.Fatalf("replay: %d", code)
				}
				select {
				case <-rcv.Done:
				case <-time.After(10 * time.Minute):
					b.Fatal("delivery did not finish")
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(rows)*float64(b.N)/(cpuTime()-cpu0).Seconds(), "rows/cpu-s")
		})
	}
}
