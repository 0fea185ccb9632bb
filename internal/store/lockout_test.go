package store

import (
	"context"
	"testing"
	"time"
)

// TestUserLockout: a lock holds until its end or an unlock by the user's
// organization, a shorter lock never shortens a longer one, and the
// organization's locked users are listed.
func TestUserLockout(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	for name, s := range clockedBackends(t, c) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			if err := s.SetSetupToken(ctx, []byte("token"), c.now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			u, err := s.CompleteSetup(ctx, []byte("token"), "acme", "o@example.com", "h")
			if err != nil {
				t.Fatal(err)
			}
			if until, err := s.UserLockedUntil(ctx, u.ID); err != nil || !until.IsZero() {
				t.Fatalf("fresh user locked: %v %v", until, err)
			}
			end := c.now().Add(24 * time.Hour)
			if err := s.LockUser(ctx, u.ID, end); err != nil {
				t.Fatal(err)
			}
			if err := s.LockUser(ctx, u.ID, c.now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			if until, err := s.UserLockedUntil(ctx, u.ID); err != nil || !until.Equal(end) {
				t.Fatalf("locked until %v (%v), want %v", until, err, end)
			}
			if m, err := s.LockedUsers(ctx, u.OrgID); err != nil || !m[u.ID].Equal(end) || len(m) != 1 {
				t.Fatalf("locked users %v %v", m, err)
			}
			if m, _ := s.LockedUsers(ctx, "another-org"); len(m) != 0 {
				t.Fatal("another organization sees the lock")
			}
			if err := s.UnlockUser(ctx, "another-org", u.ID); err == nil {
				t.Fatal("another organization unlocked the user")
			}
			c.add(25 * time.Hour)
			if until, _ := s.UserLockedUntil(ctx, u.ID); !until.IsZero() {
				t.Fatal("the lock outlived its end")
			}
			c.add(-25 * time.Hour)
			if err := s.UnlockUser(ctx, u.OrgID, u.ID); err != nil {
				t.Fatal(err)
			}
			if until, _ := s.UserLockedUntil(ctx, u.ID); !until.IsZero() {
				t.Fatal("still locked after unlock")
			}
		})
	}
}
