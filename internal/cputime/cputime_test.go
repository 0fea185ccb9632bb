package cputime

import "testing"

func TestProcessGrowsWithWork(t *testing.T) {
	before, ok := Process()
	if !ok {
		t.Skip("no CPU time on this system")
	}
	x := 0
	for i := range 50_000_000 {
		x += i % 7
	}
	after, _ := Process()
	if after <= before {
		t.Errorf("CPU time %v then %v after work (%d)", before, after, x)
	}
}
