package server_test

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/intakehq/intake/internal/config"
	"github.com/intakehq/intake/internal/server/servertest"
)

// TestBacklogMetrics: a delivery whose receiver keeps failing shows on
// /metrics as one pending delivery, one waiting for a retry, and a lag of
// its age; the purge backlog is reported at both stages, and the watched
// files given up on (none here; TestWatchGivesUpVisibly has one).
func TestBacklogMetrics(t *testing.T) {
	t.Parallel()
	const token = "metrics-token-0123456789"
	env := servertest.Start(t, servertest.Options{Configure: func(c *config.Config) {
		servertest.AllowLoopback(c)
		c.MetricsToken = token
	}})
	env.StartJobs(t)
	rcv := newReceiver(t)
	rcv.respond = func(w http.ResponseWriter, n int) bool {
		w.WriteHeader(http.StatusServiceUnavailable)
		return true
	}
	imp := createImporter(t, env, env.APIKey, nil)
	createDestination(t, env, imp.ID, map[string]any{"type": "webhook", "url": rcv.srv.URL, "schedule": "1h"})
	up := uploadRows(t, env, imp, makeRows(10, "lag"), 10)
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, _, _, requests := rcv.snapshot()
		var log deliveryLog
		env.Do(t, "GET", "/api/v1/imports/"+up.ImportID+"/deliveries", env.APIKey, nil, &log)
		if requests > 0 && len(log.Deliveries) == 1 && len(log.Deliveries[0].Attempts) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the receiver was never called")
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // the delivery's age, for a lag above 0
	req, _ := http.NewRequest("GET", env.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	value := func(series string) float64 {
		m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindSubmatch(body)
		if m == nil {
			t.Fatalf("/metrics lacks %s:\n%s", series, body)
		}
		v, _ := strconv.ParseFloat(string(m[1]), 64)
		return v
	}
	if v := value("intake_deliveries_pending"); v != 1 {
		t.Errorf("intake_deliveries_pending %v, want 1", v)
	}
	if v := value("intake_deliveries_retrying"); v != 1 {
		t.Errorf("intake_deliveries_retrying %v, want 1", v)
	}
	if v := value("intake_delivery_lag_seconds"); v <= 0 || v > 60 {
		t.Errorf("intake_delivery_lag_seconds %v, want the delivery's age", v)
	}
	for _, s := range []string{`intake_purge_backlog{stage="due"}`, `intake_purge_backlog{stage="deleting"}`, "intake_watch_objects_failed"} {
		if v := value(s); v != 0 {
			t.Errorf("%s %v, want 0", s, v)
		}
	}
}
