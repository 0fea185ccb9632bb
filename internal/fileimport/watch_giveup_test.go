package fileimport_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/intakehq/intake/internal/config"
	"github.com/intakehq/intake/internal/fileimport"
	"github.com/intakehq/intake/internal/server/servertest"
	"github.com/intakehq/intake/internal/store"
)

// TestWatchGivesUpVisibly: a watched object that cannot be read (S3
// answers 403 to every GET of it) fails every run of its object job, some
// runs cut by crashes; before the queue's last run its claim is given up
// on: listed as failed on the watch (its key, never its content), counted
// by intake_watch_objects_failed, never handed over late, not claimed again
// by later polls; saving the watch again retries it, and once readable it
// is imported, once.
func TestWatchGivesUpVisibly(t *testing.T) {
	t.Parallel()
	for _, pg := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) {
			t.Parallel()
			testWatchGivesUpVisibly(t, pg)
		})
	}
}

func testWatchGivesUpVisibly(t *testing.T, pg bool) {
	const key, metricsToken = "in/locked.csv", "metrics-token-0123456789"
	var denied atomic.Bool
	denied.Store(true)
	s3url, s3c := fakeS3Gated(t, func(r *http.Request) bool {
		return denied.Load() && r.Method == http.MethodGet && r.URL.Path == "/drop/"+key
	})
	env := servertest.Start(t, servertest.Options{Postgres: pg, Configure: func(c *config.Config) {
		servertest.AllowLoopback(c)
		c.WatchInterval = time.Hour // the test polls
		c.MetricsToken = metricsToken
	}})
	ctx := context.Background()
	s := env.Server
	im := newImporter(t, env, nil)
	putObject(t, s3c, key, csvRows(20, nil))
	settings := map[string]any{"bucket": "drop", "prefix": "in/", "endpoint": s3url, "after": "tag",
		"access_key_id": "watch", "secret_access_key": "watch-secret"}
	if code := env.Do(t, "PUT", "/api/v1/importers/"+im.ID+"/watch", env.APIKey, settings, nil); code != http.StatusOK {
		t.Fatalf("put watch: %d", code)
	}
	w := fileimport.NewWatcher(s.Files, loopbackOnly.DialContext)
	claim := onlyClaim(t, env, w, im.ID)

	// The object job's runs, as the queue would make them, without its
	// back-off: each fails, or is cut by a crash after it began.
	attempts := fileimport.ObjectJob{}.InsertOptions().MaxAttempts
	if fileimport.MaxFailedRuns >= attempts {
		t.Fatalf("the claim is given up after %d failed runs, the queue gives up after %d", fileimport.MaxFailedRuns, attempts)
	}
	runs, failed := 0, 0
	for runs < attempts {
		runs++
		if runs%3 == 2 {
			if _, _, err := s.Store.BeginWatchClaimRun(ctx, claim.ID); err != nil {
				t.Fatal(err)
			}
			continue
		}
		err := w.Object(ctx, fileimport.ObjectJob{ClaimID: claim.ID})
		if err == nil {
			break
		}
		failed++
		if strings.Contains(err.Error(), canary) {
			t.Fatal("the job's error holds a cell value")
		}
	}
	got, err := s.Store.WatchClaimByID(ctx, claim.ID)
	if err != nil {
		t.Fatal(err)
	}
	if failed == 0 || got.State != store.ClaimFailed || got.ImportID != "" {
		t.Fatalf("after %d runs (%d failed) of %d: claim %+v", runs, failed, attempts, got)
	}

	// Visible: on the watch, and in the metrics.
	var wt struct {
		FailedObjects []struct {
			Key, Code string
			Runs      int
			FailedAt  time.Time `json:"failed_at"`
		} `json:"failed_objects"`
	}
	body := getBody(t, env, "/api/v1/importers/"+im.ID+"/watch", env.APIKey, &wt)
	if len(wt.FailedObjects) != 1 || wt.FailedObjects[0].Key != key || wt.FailedObjects[0].Code != fileimport.CodeJobFailed ||
		wt.FailedObjects[0].Runs <= fileimport.MaxFailedRuns || time.Since(wt.FailedObjects[0].FailedAt) > time.Hour {
		t.Fatalf("the watch's failed objects: %s", body)
	}
	metrics := getBody(t, env, "/metrics", metricsToken, nil)
	if !regexp.MustCompile(`(?m)^intake_watch_objects_failed 1$`).MatchString(metrics) {
		t.Errorf("/metrics does not count the failed object:\n%s", metrics)
	}
	if strings.Contains(body, canary) || strings.Contains(metrics, canary) || strings.Contains(env.Logs.String(), canary) {
		t.Fatal("a cell value was shown or logged")
	}

	// Never handed over late (a run that was still reading when it was
	// given up), and not claimed again by a poll.
	importer, err := s.Store.Importer(ctx, env.OrgID, im.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Files.Submit(ctx, importer, key, strings.NewReader(csvRows(20, nil)), fileimport.Options{}, claim.ID); err == nil {
		t.Fatal("a failed claim was handed over")
	}
	if err := w.Object(ctx, fileimport.ObjectJob{ClaimID: claim.ID}); err != nil {
		t.Fatalf("a run after the give-up: %v", err)
	}
	if again := onlyClaim(t, env, w, im.ID); again.ID != claim.ID {
		t.Fatalf("a poll claimed the failed object again: %+v", again)
	}

	// Recovered: readable again, the watch saved again, the next poll
	// claims it afresh and it is imported once.
	denied.Store(false)
	if code := env.Do(t, "PUT", "/api/v1/importers/"+im.ID+"/watch", env.APIKey, settings, nil); code != http.StatusOK {
		t.Fatalf("put watch again: %d", code)
	}
	wt.FailedObjects = nil
	if body := getBody(t, env, "/api/v1/importers/"+im.ID+"/watch", env.APIKey, &wt); len(wt.FailedObjects) != 0 {
		t.Fatalf("failed objects after saving the watch again: %s", body)
	}
	retry := onlyClaim(t, env, w, im.ID)
	if retry.ID == claim.ID {
		t.Fatal("the failed claim was kept")
	}
	env.StartJobs(t)
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := s.Store.WatchClaimByID(ctx, retry.ID)
		if err != nil {
			t.Fatal(err)
		}
		if c.State == store.ClaimDone {
			if st := wait(t, env, c.ImportID); st.File.State != "completed" || st.Rows != 20 {
				t.Fatalf("the retried object's import: %+v %+v", st, *st.File)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the retried object: %+v", c)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The import of the hand-over refused above was purged at once.
	var list struct{ Imports []fileState }
	env.Do(t, "GET", "/api/v1/imports?importer="+im.ID, env.APIKey, nil, &list)
	kept := 0
	for _, st := range list.Imports {
		if st.Status != "purged" {
			kept++
		}
	}
	if kept != 1 {
		t.Errorf("%d imports of one object kept: %+v", kept, list.Imports)
	}
}

// onlyClaim polls w once and returns the importer's one watch claim.
func onlyClaim(t *testing.T, env *servertest.Env, w *fileimport.Watcher, importerID string) store.WatchClaim {
	t.Helper()
	if err := w.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	claims, err := env.Server.Store.WatchClaims(context.Background(), env.OrgID, importerID)
	if err != nil || len(claims) != 1 {
		t.Fatalf("claims %+v, %v; want one", claims, err)
	}
	return claims[0]
}

// getBody GETs path with a bearer token and returns the body, decoded into
// out unless out is nil.
func getBody(t *testing.T, env *servertest.Env, path, token string, out any) string {
	t.Helper()
	req, _ := http.NewRequest("GET", env.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatal(err)
		}
	}
	return string(b)
}
