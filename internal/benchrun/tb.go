package benchrun

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// step lets the test helpers the benchmarks of the packages share
// (servertest and its kind, written against testing.TB) run outside `go
// test`: Fatal and Skip end the step's goroutine as they end a test's,
// cleanups run when the step ends, and logs go to a writer. The embedded
// interface is nil; it only supplies testing.TB's unexported method, every
// exported one is defined here.
type step struct {
	testing.TB
	name string
	log  io.Writer
	ctx  context.Context

	mu       sync.Mutex
	failed   bool
	skipped  bool
	msgs     []string
	cleanups []func()
}

// runStep runs fn as a step named name in its own goroutine and returns
// the failure it reported, if any; its cleanups have run when it returns.
func runStep(ctx context.Context, name string, log io.Writer, fn func(tb testing.TB)) error {
	s := &step{name: name, log: log, ctx: ctx}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer s.runCleanups()
		fn(s)
	}()
	<-done
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.failed:
		return fmt.Errorf("%s: %s", name, strings.Join(s.msgs, "; "))
	case s.skipped:
		return fmt.Errorf("%s: skipped: %s", name, strings.Join(s.msgs, "; "))
	}
	return nil
}

func (s *step) runCleanups() {
	for {
		s.mu.Lock()
		if len(s.cleanups) == 0 {
			s.mu.Unlock()
			return
		}
		f := s.cleanups[len(s.cleanups)-1]
		s.cleanups = s.cleanups[:len(s.cleanups)-1]
		s.mu.Unlock()
		f()
	}
}

func (s *step) record(failed bool, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if failed {
		s.failed = true
	}
	if msg != "" {
		s.msgs = append(s.msgs, msg)
	}
}

func (s *step) ArtifactDir() string      { return s.TempDir() }
func (s *step) Attr(_, _ string)         {}
func (s *step) Chdir(string)             { s.Fatal("Chdir is not supported outside go test") }
func (s *step) Context() context.Context { return s.ctx }
func (s *step) Helper()                  {}
func (s *step) Name() string             { return s.name }
func (s *step) Output() io.Writer        { return s.log }
func (s *step) Setenv(k, v string)       { s.Fatal("Setenv is not supported outside go test") }
func (s *step) Fail()                    { s.record(true, "") }
func (s *step) FailNow()                 { s.Fail(); runtime.Goexit() }
func (s *step) Error(a ...any)           { s.record(true, fmt.Sprint(a...)) }
func (s *step) Errorf(f string, a ...any) {
	s.record(true, fmt.Sprintf(f, a...))
}
func (s *step) Fatal(a ...any)            { s.Error(a...); runtime.Goexit() }
func (s *step) Fatalf(f string, a ...any) { s.Errorf(f, a...); runtime.Goexit() }
func (s *step) Log(a ...any)              { fmt.Fprintln(s.log, a...) }
func (s *step) Logf(f string, a ...any)   { fmt.Fprintf(s.log, f+"\n", a...) }
func (s *step) Skip(a ...any)             { s.record(false, fmt.Sprint(a...)); s.SkipNow() }
func (s *step) Skipf(f string, a ...any)  { s.record(false, fmt.Sprintf(f, a...)); s.SkipNow() }
func (s *step) SkipNow() {
	s.mu.Lock()
	s.skipped = true
	s.mu.Unlock()
	runtime.Goexit()
}
func (s *step) Skipped() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.skipped }
func (s *step) Failed() bool  { s.mu.Lock(); defer s.mu.Unlock(); return s.failed }

func (s *step) Cleanup(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cleanups = append(s.cleanups, f)
}

// TempDir is a new folder removed when the step ends.
func (s *step) TempDir() string {
	dir, err := os.MkdirTemp("", "intake-bench-")
	if err != nil {
		s.Fatalf("temporary folder: %v", err)
	}
	s.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
