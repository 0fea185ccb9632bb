package deploy_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// built is the build stage's output (/out), made once per test run by
// every RUN of the Dockerfile's build stage, in the repository (the stage's
// `COPY . .`), with /out/ pointing at a folder of the test's.
var built struct {
	once sync.Once
	dir  string
	err  error
	log  []byte
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// buildStage runs the Dockerfile's build stage and returns its /out.
func buildStage(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		img := parseDockerfile(t, "../Dockerfile")
		if built.dir, built.err = os.MkdirTemp("", "intake-build-"); built.err != nil {
			return
		}
		out := filepath.Join(built.dir, "out")
		if built.err = os.MkdirAll(out, 0o755); built.err != nil {
			return
		}
		for _, run := range img.buildRuns {
			cmd := exec.Command("sh", "-c", strings.ReplaceAll(run, "/out/", out+"/"))
			cmd.Dir = ".."
			if built.log, built.err = cmd.CombinedOutput(); built.err != nil {
				built.log = append([]byte("RUN "+run+"\n"), built.log...)
				return
			}
		}
	})
	if built.err != nil {
		t.Fatalf("build stage: %v\n%s", built.err, built.log)
	}
	return filepath.Join(built.dir, "out")
}
