package destination

import (
	"testing"
	"time"
)

func TestScheduleNext(t *testing.T) {
	t.Parallel()
	s := Schedule{time.Second, time.Minute}
	tests := []struct {
		failures   int
		retryAfter time.Duration
		want       time.Duration
		ok         bool
	}{
		{0, 0, 0, false},
		{1, 0, time.Second, true},
		{2, 0, time.Minute, true},
		{3, 0, 0, false},
		{1, time.Hour, time.Hour, true},
		{2, 48 * time.Hour, MaxRetryAfter, true},
		{3, time.Second, 0, false}, // Retry-After cannot extend the schedule
	}
	for _, tt := range tests {
		got, ok := s.Next(tt.failures, tt.retryAfter)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Next(%d, %v) = %v, %v; want %v, %v", tt.failures, tt.retryAfter, got, ok, tt.want, tt.ok)
		}
	}
	if len(DefaultSchedule) != 9 || DefaultSchedule[0] != 5*time.Second || DefaultSchedule[8] != 24*time.Hour {
		t.Errorf("DefaultSchedule = %v", DefaultSchedule)
	}
}

func TestParseSchedule(t *testing.T) {
	t.Parallel()
	got, err := ParseSchedule("5s, 5m,30m")
	if err != nil || len(got) != 3 || got[2] != 30*time.Minute {
		t.Fatalf("ParseSchedule = %v, %v", got, err)
	}
	for _, bad := range []string{"5", "-1s", "soon"} {
		if _, err := ParseSchedule(bad); err == nil {
			t.Errorf("ParseSchedule(%q) accepted", bad)
		}
	}
}
