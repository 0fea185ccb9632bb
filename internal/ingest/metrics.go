package ingest

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the ingest counters and latencies: counts and durations only.
type Metrics struct {
	chunks   *prometheus.CounterVec
	rows     prometheus.Counter
	duration prometheus.Histogram
	now      func() time.Time
}

// NewMetrics registers the ingest metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		chunks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "intake_chunks_total", Help: "Chunks received, by result.",
		}, []string{"result"}),
		rows: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "intake_rows_ingested_total", Help: "Rows stored or relayed.",
		}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "intake_chunk_duration_seconds", Help: "Time to take one chunk, from request to durable.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
		now: time.Now,
	}
	reg.MustRegister(m.chunks, m.rows, m.duration)
	return m
}

func (m *Metrics) observeChunk(start time.Time, res ChunkResult, err error) {
	if m == nil {
		return
	}
	result := "stored"
	var e *Error
	switch {
	case errors.As(err, &e):
		result = e.Code
	case err != nil:
		result = "error"
	case res.Duplicate:
		result = "retry"
	}
	m.chunks.WithLabelValues(result).Inc()
	if err == nil && !res.Duplicate {
		m.rows.Add(float64(res.Rows))
	}
	m.duration.Observe(m.now().Sub(start).Seconds())
}
