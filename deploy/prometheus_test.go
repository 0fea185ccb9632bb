package deploy_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

// targetLabels are added by Prometheus to every scraped series (and up is
// its own series per target), so no exporter shows them.
var targetLabels = map[string]bool{"job": true, "instance": true}

// TestAlertRules is promtool's `check rules` (Prometheus' own rule-file
// parser: unknown keys, bad PromQL, bad label names or templates fail),
// plus what promtool cannot know: every metric an expression selects, and
// every label it matches on, is exported by a real Intake, scraped here
// after it stored a chunk and counted its backlog.
func TestAlertRules(t *testing.T) {
	t.Parallel()
	p := parser.NewParser(parser.Options{})
	groups, errs := rulefmt.ParseFile("prometheus/alerts.yml", false, model.UTF8Validation, p, slog.New(slog.DiscardHandler))
	for _, err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	exported := scrapeIntake(t)
	rules := 0
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			rules++
			if r.Alert == "" || r.For == 0 || r.Labels["severity"] == "" || r.Annotations["summary"] == "" {
				t.Errorf("rule %q: want an alert with a for:, a severity and a summary", r.Alert)
			}
			expr, err := p.ParseExpr(r.Expr)
			if err != nil {
				t.Errorf("%s: %v", r.Alert, err)
				continue
			}
			for _, sel := range parser.ExtractSelectors(expr) {
				name := ""
				for _, m := range sel {
					if m.Name == labels.MetricName && m.Type == labels.MatchEqual {
						name = m.Value
					}
				}
				if name == "up" {
					continue // Prometheus' own series per target
				}
				have, ok := exported[name]
				if !ok {
					t.Errorf("%s selects %q, which Intake does not export", r.Alert, name)
					continue
				}
				for _, m := range sel {
					if m.Name != labels.MetricName && !targetLabels[m.Name] && !have[m.Name] {
						t.Errorf("%s matches label %q of %s, which has none", r.Alert, m.Name, name)
					}
				}
			}
		}
	}
	if rules < 8 {
		t.Errorf("%d rules: the file lost its alerts", rules)
	}
}

// scrapeIntake runs the binary the Dockerfile builds on loopback (the demo
// importer on), stores one chunk, and returns every series name on its
// /metrics with the label names each carries.
func scrapeIntake(t *testing.T) map[string]map[string]bool {
	t.Helper()
	cmd := exec.Command(filepath.Join(buildStage(t), "intake"), "serve", "--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0",
		"--data-dir", t.TempDir(), "--demo")
	var logs syncBuf
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	listening := regexp.MustCompile(`"msg":"intake listening","addr":"(127\.0\.0\.1:[0-9]+)".*"metrics_addr":"(127\.0\.0\.1:[0-9]+)"`)
	var base, metrics string
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if m := listening.FindStringSubmatch(logs.String()); m != nil {
			base, metrics = "http://"+m[1], "http://"+m[2]+"/metrics"
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("intake never listened:\n%s", logs.String())
		}
	}
	var up struct {
		ImportID    string `json:"import_id"`
		UploadToken string `json:"upload_token"`
	}
	post(t, "POST", base+"/api/v1/uploads", "", map[string]any{"importer": "imp_demo", "columns": []string{"id", "first_name", "email"},
		"source": map[string]any{"format": "csv", "size_bytes": 100}, "rows": 1}, &up)
	post(t, "PUT", base+"/api/v1/uploads/"+up.ImportID+"/chunks/0", up.UploadToken,
		map[string]any{"first_row": 0, "rows": [][]string{{"1", "Ada", "ada@example.com"}}}, nil)

	resp, err := http.Get(metrics)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics: %v", err)
	}
	out := map[string]map[string]bool{}
	add := func(name string, lbls map[string]bool) {
		if out[name] == nil {
			out[name] = map[string]bool{}
		}
		for l := range lbls {
			out[name][l] = true
		}
	}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			lbls := map[string]bool{}
			for _, lp := range m.GetLabel() {
				lbls[lp.GetName()] = true
			}
			switch {
			case m.Histogram != nil:
				add(name+"_count", lbls)
				add(name+"_sum", lbls)
				lbls["le"] = true
				add(name+"_bucket", lbls)
			case m.Summary != nil:
				add(name+"_count", lbls)
				add(name+"_sum", lbls)
				lbls["quantile"] = true
				add(name, lbls)
			default:
				add(name, lbls)
			}
		}
	}
	if _, ok := out["intake_chunks_total"]; !ok {
		t.Fatalf("the stored chunk is not counted on /metrics:\n%s", logs.String())
	}
	return out
}

func post(t *testing.T, method, url, token string, body, out any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, got)
	}
	if out != nil {
		if err := json.Unmarshal(got, out); err != nil {
			t.Fatal(fmt.Errorf("%s %s: %w", method, url, err))
		}
	}
}
