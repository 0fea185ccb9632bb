package queue

import (
	"testing"
	"time"
)

// Idle replicas poll each queue every second where nothing tells them of
// new jobs (SQLite), every five where PostgreSQL's notifications do.
func TestPollInterval(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		o        WorkOptions
		notified bool
		want     time.Duration
	}{
		{"SQLite default", WorkOptions{}, false, time.Second},
		{"PostgreSQL default", WorkOptions{}, true, 5 * time.Second},
		{"SQLite set", WorkOptions{PollInterval: 20 * time.Millisecond}, false, 20 * time.Millisecond},
		{"PostgreSQL set", WorkOptions{PollInterval: 2 * time.Second}, true, 2 * time.Second},
	} {
		if got := tc.o.pollInterval(tc.notified); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}
