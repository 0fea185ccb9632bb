package validate_test

import (
	"syscall"
	"time"
)

// threadCPU is the CPU time used by the calling OS thread (RUSAGE_THREAD),
// so that benchmarks on a shared machine can report their own cost rather
// than wall time inflated by other processes.
func threadCPU() (time.Duration, bool) {
	const rusageThread = 1
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
