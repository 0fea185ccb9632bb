// Package browsertest starts the real headless Chromium that Intake's
// browser tests drive (Debian's chromium package, installed by .ci/run),
// with the flags this closed network needs, on a fresh profile.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// ChromiumPath is where Debian installs Chromium; INTAKE_CHROMIUM points the
// tests at another binary (Chrome, a newer Chromium, another distribution's
// path).
const ChromiumPath = "/usr/bin/chromium"

// chromiumPath is the browser the tests start: INTAKE_CHROMIUM, or
// ChromiumPath.
func chromiumPath() string {
	if p := os.Getenv("INTAKE_CHROMIUM"); p != "" {
		return p
	}
	return ChromiumPath
}

// New starts Chromium and returns a tab context, closed when the test ends.
// Without Chromium the test is skipped, or fails in CI (CI is set), where a
// skip would hide a missing install step. -short skips browser tests.
func New(t testing.TB) context.Context {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	browser := chromiumPath()
	if _, err := os.Stat(browser); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI needs %s (apt-get install chromium, or set INTAKE_CHROMIUM): %v", browser, err)
		}
		t.Skipf("browser test needs %s (apt-get install chromium, or set INTAKE_CHROMIUM): %v", browser, err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(browser),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		// Without these Chromium keeps dialling Google's hosts, which this
		// network refuses; tests must reach only loopback.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// Frame returns the node of the page's only iframe once the iframe's own
// document holds an element matching ready. Chrome gives an iframe a blank
// document until its page loads, and a node taken before then keeps
// pointing at that blank document: queries from it never match. So Frame
// takes the node again until a query from it finds ready, or ctx ends.
func Frame(ctx context.Context, ready string) (*chromedp.Node, error) {
	for {
		frames, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS("iframe")))
		if err != nil {
			return nil, fmt.Errorf("find iframe: %w", err)
		}
		if len(frames) != 1 {
			return nil, fmt.Errorf("find iframe: %d iframes on the page, want 1", len(frames))
		}
		try, cancel := context.WithTimeout(ctx, time.Second)
		_, err = chromedp.Run(try, chromedp.WaitReady(chromedp.CSS(ready), chromedp.FromNode(frames[0])))
		cancel()
		if err == nil {
			return frames[0], nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("iframe never showed %s: %w", ready, ctx.Err())
		}
	}
}

// ImportInFrame drives Intake's widget in the page's only iframe through a
// whole import of the file at path, accepting the proposed header row and
// matching, up to the done step. It returns the query option that reaches
// into the iframe, for the test's own checks.
func ImportInFrame(ctx context.Context, path string) (chromedp.QueryOption, error) {
	frame, err := Frame(ctx, `input[type=file]`)
	if err != nil {
		return nil, err
	}
	in := chromedp.FromNode(frame)
	actions := append([]chromedp.Action[chromedp.Void]{
		chromedp.SetUploadFiles(chromedp.CSS(`input[type=file]`), []string{path}, in),
		chromedp.Click(chromedp.CSS(`[data-testid=header-next]`), in),
	}, SubmitFromMatching(in)...)
	if err := chromedp.Do(ctx, actions...); err != nil {
		text, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body"), in))
		return nil, fmt.Errorf("import in the iframe: %w; the importer shows: %q", err, text)
	}
	return in, nil
}

// SubmitFromMatching is the rest of an import from the matching step: accept
// the matching, wait for the review grid, submit, wait for the done step.
// opts reach into the iframe when the widget is embedded.
func SubmitFromMatching(opts ...chromedp.QueryOption) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.Click(chromedp.CSS(`[data-testid=map-next]`), opts...),
		chromedp.WaitVisible(chromedp.CSS(`.grid[data-ready]`), opts...),
		chromedp.Click(chromedp.CSS(`[data-testid=submit]:not([disabled])`), opts...),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=done]`), opts...),
	}
}
