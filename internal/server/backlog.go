package server

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/intakehq/intake/internal/store"
)

// backlogCollector exports the waiting work (store.Backlog) as gauges at
// scrape time: delivery lag, the retry queue, the purge backlog and the
// watched files given up on, the figures deploy/prometheus/alerts.yml
// alerts on. Every replica reports
// the same shared figures (alert on max, not sum). Each figure is read
// from an index of the waiting rows alone, so a scrape costs the backlog's
// size, not the tables'; a scrape also reuses a figure younger than
// maxAge, so that several Prometheus servers or a short scrape interval do
// not query the database each time.
type backlogCollector struct {
	store *store.Store
	log   *slog.Logger
	now   func() time.Time

	mu   sync.Mutex
	at   time.Time
	last store.Backlog
}

const backlogMaxAge = 15 * time.Second

var (
	descPending  = prometheus.NewDesc("intake_deliveries_pending", "Deliveries not yet finished, across organizations.", nil, nil)
	descRetrying = prometheus.NewDesc("intake_deliveries_retrying", "Pending deliveries that failed at least once and wait for a retry.", nil, nil)
	descLag      = prometheus.NewDesc("intake_delivery_lag_seconds", "Age of the oldest pending delivery; 0 when none is pending.", nil, nil)
	descWatch    = prometheus.NewDesc("intake_watch_objects_failed", "Watched files given up on after their import job failed run after run, across organizations; saving the watch again retries them.", nil, nil)
	descPurge    = prometheus.NewDesc("intake_purge_backlog", "Imports waiting for retention: due (past retention, key not yet shredded) or deleting (shredded, blobs being deleted).", []string{"stage"}, nil)
)

func newBacklogCollector(st *store.Store, log *slog.Logger) *backlogCollector {
	return &backlogCollector{store: st, log: log, now: time.Now}
}

func (c *backlogCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descPending, descRetrying, descLag, descWatch, descPurge} {
		ch <- d
	}
}

func (c *backlogCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if now.Sub(c.at) > backlogMaxAge {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		b, err := c.store.Backlog(ctx)
		cancel()
		if err != nil {
			// No figure rather than a stale or a zero one: the alert on a
			// missing series (absent) is the operator's to choose.
			c.log.Warn("backlog metrics", "err", err)
			return
		}
		c.last, c.at = b, now
	}
	b := c.last
	lag := 0.0
	if !b.OldestPending.IsZero() {
		lag = max(0, now.Sub(b.OldestPending).Seconds())
	}
	ch <- prometheus.MustNewConstMetric(descPending, prometheus.GaugeValue, float64(b.DeliveriesPending))
	ch <- prometheus.MustNewConstMetric(descRetrying, prometheus.GaugeValue, float64(b.DeliveriesRetrying))
	ch <- prometheus.MustNewConstMetric(descLag, prometheus.GaugeValue, lag)
	ch <- prometheus.MustNewConstMetric(descWatch, prometheus.GaugeValue, float64(b.WatchFailed))
	ch <- prometheus.MustNewConstMetric(descPurge, prometheus.GaugeValue, float64(b.PurgeDue), "due")
	ch <- prometheus.MustNewConstMetric(descPurge, prometheus.GaugeValue, float64(b.PurgeDeleting), "deleting")
}
