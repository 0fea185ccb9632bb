package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/chromedp/chromedp"
)

// AxeTags are the rule sets the accessibility tests hold every page to:
// WCAG 2.2 level AA, with the A and AA rules of 2.0 and 2.1 it includes.
var AxeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"}

// AxeSource reads axe-core's browser build from web/widget/node_modules
// (a devDependency of the widget: npm ci in web/widget installs it). Without
// it the test fails and says how to install it: a skip would hide the check.
func AxeSource() (string, error) {
	_, file, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(file), "..", "..", "web", "widget", "node_modules", "axe-core", "axe.min.js")
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("axe-core is not installed (run npm ci in web/widget): %w", err)
	}
	return string(b), nil
}

// AxeViolation is one rule axe-core found broken, with where.
type AxeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

func (v AxeViolation) String() string {
	return fmt.Sprintf("%s (%s): %s at %s", v.ID, v.Impact, v.Help, strings.Join(v.Targets, ", "))
}

// Axe runs axe-core with AxeTags on the document of frame (nil: the page)
// and returns the violations. The source is evaluated through the DevTools
// protocol, which the importer page's CSP does not govern.
func Axe(ctx context.Context, source string, frame *chromedp.Node) ([]AxeViolation, error) {
	tags, _ := json.Marshal(AxeTags)
	run := fmt.Sprintf(`async (src) => {
		if (!window.axe) (0, eval)(src);
		const r = await window.axe.run(document, {runOnly: {type: "tag", values: %s}, resultTypes: ["violations"]});
		return JSON.stringify(r.violations.map((v) => ({id: v.id, impact: v.impact || "", help: v.help,
			targets: v.nodes.map((n) => n.target.join(" ") + " " + (n.failureSummary || "").replace(/\s+/g, " ").slice(0, 200))})));
	}`, tags)
	opts := []chromedp.PollOption{chromedp.WithPollingArgs(source), chromedp.WithPollingInterval(50e6)}
	if frame != nil {
		opts = append(opts, chromedp.WithPollingInFrame(frame))
	}
	out, err := chromedp.Run(ctx, chromedp.PollFunction[string](run, opts...))
	if err != nil {
		return nil, fmt.Errorf("run axe-core: %w", err)
	}
	var found []AxeViolation
	if err := json.Unmarshal([]byte(out), &found); err != nil {
		return nil, fmt.Errorf("read axe-core's result: %w", err)
	}
	return found, nil
}
