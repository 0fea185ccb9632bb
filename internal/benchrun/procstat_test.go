package benchrun

import (
	"os"
	"runtime"
	"testing"
	"time"
)

// readProc reads this very process: its CPU, faults and context switches
// grow while it works (Linux only: elsewhere /proc is absent).
func TestReadProc(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc is Linux's")
	}
	before := readProc(os.Getpid())
	for end := time.Now().Add(50 * time.Millisecond); time.Now().Before(end); {
		_ = make([]byte, 1<<20) // touch new memory: minor faults
	}
	time.Sleep(10 * time.Millisecond) // a voluntary context switch
	d := readProc(os.Getpid()).sub(before)
	if d.user+d.sys <= 0 || d.minflt <= 0 || d.ctxsw <= 0 {
		t.Fatalf("after 50 ms of work: %+v", d)
	}
	if got := ProcessCPU(os.Getpid()); got < before.user+before.sys {
		t.Fatalf("ProcessCPU %.2f s, below the %.2f s read before", got, before.user+before.sys)
	}
}
