package widget_test

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/intakehq/intake/internal/server"
)

// benchE2E tells whether the widget benchmark compares an end-to-end
// encrypted import with a stored one (INTAKE_WIDGET_BENCH_E2E=1, issue 17);
// it implies the upload.
func benchE2E() bool { return os.Getenv("INTAKE_WIDGET_BENCH_E2E") != "" }

// benchE2EvsStored runs the same import through the stored importer key
// and through an e2e importer of the same template, in the same run, a
// fresh browser each (closed before the next), the order swapped every run. It logs the time from
// the file chosen to stored for both and their ratio (target: e2e adds at
// most 20%), the longest main-thread task (target: at most 50 ms, the
// encryption being in the workers) and the CPU of server and browser
// during the uploads, with the load average before and after.
func benchE2EvsStored(t *testing.T, s *testServer, key, file string, runs int) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	sealed := s.addImporterTemplate(t, server.DemoTemplate, map[string]any{"max_rows": 0, "max_file_bytes": 0, "allow_invalid": true,
		"mode": "e2e", "recipients": []string{id.Recipient().String()}})
	t.Logf("load average before: %s", loadAverage())
	// Each flow is a subtest, so that its browser (closed in a cleanup)
	// is gone before the next starts: left open, the first browser's CPU
	// and memory weighed on the second flow, in the figures of the mode
	// that went second.
	flow := func(name, importer string) benchResult {
		var r benchResult
		if !t.Run(name, func(t *testing.T) { r = benchFlow(t, s, s.URL+"/i/"+importer, file) }) {
			t.FailNow()
		}
		return r
	}
	var storedRuns, e2eRuns []benchResult
	for run := range runs {
		var st, e2 benchResult
		if run%2 == 0 {
			st, e2 = flow("stored", key), flow("e2e", sealed)
		} else {
			e2, st = flow("e2e", sealed), flow("stored", key)
		}
		logE2E(t, fmt.Sprintf("run %d (load %s)", run+1, loadAverage()), st, e2)
		storedRuns, e2eRuns = append(storedRuns, st), append(e2eRuns, e2)
	}
	logE2E(t, fmt.Sprintf("MEDIAN of %d on %s", runs, file), median(storedRuns), median(e2eRuns))
	// The line above divides medians taken field by field; the ratio to
	// judge the target by is each run's own, and their median.
	ratios := make([]float64, runs)
	for i := range runs {
		ratios[i] = (e2eRuns[i].checked + e2eRuns[i].upload) / (storedRuns[i].checked + storedRuns[i].upload)
	}
	perRun := slices.Clone(ratios)
	slices.Sort(ratios)
	t.Logf("e2e/stored per run %.2f, median %.2f× (target ≤ 1.20)", perRun, ratios[runs/2])
	t.Logf("load average after: %s", loadAverage())
}

func logE2E(t *testing.T, what string, st, e2 benchResult) {
	t.Helper()
	stored, sealed := st.checked+st.upload, e2.checked+e2.upload
	t.Logf("%s: file chosen to stored: stored mode %.2fs (checked %.2fs + upload %.2fs), e2e %.2fs (checked %.2fs + upload %.2fs): e2e/stored %.2f× (target ≤ 1.20)",
		what, stored, st.checked, st.upload, sealed, e2.checked, e2.upload, sealed/stored)
	t.Logf("%s: CPU from the file chosen to stored: browser stored %.2fs, e2e %.2fs (%.2f×); server stored %.2fs, e2e %.2fs (no re-validation); both %.2f×; during the upload: browser stored %.2fs, e2e %.2fs (+%.2fs, the encryption); upload wall e2e/stored %.2f×",
		what, st.flowBrowserCPU, e2.flowBrowserCPU, e2.flowBrowserCPU/st.flowBrowserCPU, st.flowServerCPU, e2.flowServerCPU,
		(e2.flowBrowserCPU+e2.flowServerCPU)/(st.flowBrowserCPU+st.flowServerCPU), st.browserCPU, e2.browserCPU, e2.browserCPU-st.browserCPU, e2.upload/st.upload)
	t.Logf("%s: longest main-thread task: e2e loading %dms, upload %dms; stored loading %dms, upload %dms (target ≤ 50 ms); chunks stored %d, e2e %d",
		what, e2.longestLoad, e2.longestUpload, st.longestLoad, st.longestUpload, st.chunkCount, e2.chunkCount)
}

// loadAverage is /proc/loadavg's 1, 5 and 15 minute figures.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}
