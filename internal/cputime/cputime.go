// Package cputime tells the benchmarks how much CPU time the process has
// used, so that on a shared machine they report their own cost rather than a
// wall time inflated by other processes. It is built from getrusage(2) where
// the system has it (Unix) and reports "unknown" elsewhere.
package cputime

import "time"

// Process returns the user + system CPU time of every thread of the
// process so far, and false where the system cannot tell.
func Process() (time.Duration, bool) { return process() }
