package deploy_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// image is what the Dockerfile says about the image it builds, as the
// layout test needs it: read with BuildKit's own parser, so that the test
// reads the file as `docker build` does and cannot drift from it.
type image struct {
	buildRuns  []string // the build stage's RUN commands (shell form), in order
	base       string   // the final stage's base image
	copies     []copyOp // the final stage's COPY --from=<build stage>
	user       string
	env        []string // KEY=VALUE, in order
	volumes    []string
	expose     []string
	health     []string // the HEALTHCHECK's CMD, exec form
	entrypoint []string
	cmd        []string
	stopSignal string
}

// copyOp is one COPY from the build stage into the final image.
type copyOp struct {
	src, dest, chown string
}

// parseDockerfile reads path and fails the test on any syntax error or
// BuildKit lint warning, and on anything the layout test cannot reproduce
// (a stage other than build → final, a shell-form ENTRYPOINT).
func parseDockerfile(t *testing.T, path string) image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := parser.Parse(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	for _, w := range res.Warnings {
		t.Errorf("%s: %s", path, w.Short)
	}
	lint := linter.New(&linter.Config{Warn: func(rule, _, _, msg string, loc []parser.Range) {
		t.Errorf("%s:%v: lint %s: %s", path, loc, rule, msg)
	}})
	stages, _, err := instructions.Parse(res.AST, lint)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(stages) != 2 {
		t.Fatalf("%s: %d stages, want 2 (build, then the image)", path, len(stages))
	}
	build, final := stages[0], stages[1]
	var img image
	img.base = final.BaseName
	for _, c := range build.Commands {
		if r, ok := c.(*instructions.RunCommand); ok {
			if !r.PrependShell || len(r.CmdLine) != 1 {
				t.Fatalf("%s: build RUN %q: want shell form", path, r.CmdLine)
			}
			img.buildRuns = append(img.buildRuns, r.CmdLine[0])
		}
	}
	execForm := func(what string, l instructions.ShellDependantCmdLine) []string {
		if l.PrependShell {
			t.Fatalf("%s: %s %q: want exec form (no shell in the image)", path, what, l.CmdLine)
		}
		return l.CmdLine
	}
	for _, c := range final.Commands {
		switch c := c.(type) {
		case *instructions.CopyCommand:
			if c.From != build.Name || len(c.SourcePaths) != 1 {
				t.Fatalf("%s: COPY %v: want one source --from=%s", path, c.SourcePaths, build.Name)
			}
			img.copies = append(img.copies, copyOp{src: c.SourcePaths[0], dest: c.DestPath, chown: c.Chown})
		case *instructions.UserCommand:
			img.user = c.User
		case *instructions.EnvCommand:
			for _, kv := range c.Env {
				img.env = append(img.env, kv.Key+"="+kv.Value)
			}
		case *instructions.VolumeCommand:
			img.volumes = append(img.volumes, c.Volumes...)
		case *instructions.ExposeCommand:
			img.expose = append(img.expose, c.Ports...)
		case *instructions.HealthCheckCommand:
			if len(c.Health.Test) < 2 || c.Health.Test[0] != "CMD" {
				t.Fatalf("%s: HEALTHCHECK %q: want CMD in exec form", path, c.Health.Test)
			}
			img.health = c.Health.Test[1:]
		case *instructions.EntrypointCommand:
			img.entrypoint = execForm("ENTRYPOINT", c.ShellDependantCmdLine)
		case *instructions.CmdCommand:
			img.cmd = execForm("CMD", c.ShellDependantCmdLine)
		case *instructions.StopSignalCommand:
			img.stopSignal = c.Signal
		default:
			t.Fatalf("%s: the layout test does not reproduce %s in the image stage", path, fmt.Sprint(c.Name()))
		}
	}
	return img
}

// TestDockerfileRules: the build is static and reproducible-path (CGO
// off, -trimpath, stripped), the image runs as a numeric non-root user
// (Kubernetes' runAsNonRoot can check only a number), the data folder is a
// volume, and the health check and entrypoint are the binary itself.
func TestDockerfileRules(t *testing.T) {
	t.Parallel()
	img := parseDockerfile(t, "../Dockerfile")
	goBuild := ""
	for _, r := range img.buildRuns {
		if strings.Contains(r, "go build") {
			goBuild = r
		}
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", `-ldflags="-s -w"`, "./cmd/intake"} {
		if !strings.Contains(goBuild, want) {
			t.Errorf("the go build %q lacks %s", goBuild, want)
		}
	}
	if uid, _, _ := strings.Cut(img.user, ":"); uid == "" || uid == "0" || strings.Trim(uid, "0123456789") != "" {
		t.Errorf("USER %q: want a numeric non-root uid", img.user)
	}
	if !strings.HasPrefix(img.base, "gcr.io/distroless/static") {
		t.Errorf("base %q: the layout test stands in for distroless/static", img.base)
	}
	dataDir := envValue(img.env, "INTAKE_DATA_DIR")
	if len(img.volumes) != 1 || img.volumes[0] != dataDir {
		t.Errorf("VOLUME %v: want exactly the data folder %q", img.volumes, dataDir)
	}
	if len(img.entrypoint) != 1 || len(img.health) < 2 || img.health[0] != img.entrypoint[0] || img.health[1] != "healthcheck" {
		t.Errorf("HEALTHCHECK %q: want the entrypoint %q's healthcheck", img.health, img.entrypoint)
	}
	if img.stopSignal != "SIGTERM" {
		t.Errorf("STOPSIGNAL %q: serve drains on SIGTERM", img.stopSignal)
	}
}

// envValue is the last value of key in a KEY=VALUE list, as a process sees it.
func envValue(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if k, val, _ := strings.Cut(kv, "="); k == key {
			v = val
		}
	}
	return v
}
