package store

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/intakehq/intake/internal/store/storetest"
)

// clock is a settable fake time for session timeouts.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func clockedBackends(t *testing.T, c *clock) map[string]*Store {
	t.Helper()
	ctx := context.Background()
	out := map[string]*Store{}
	sq, err := Open(ctx, Options{SQLitePath: filepath.Join(t.TempDir(), "intake.db"), Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sq.Close() })
	out["sqlite"] = sq
	if url := storetest.PostgresURL(t); url != "" {
		pg, err := Open(ctx, Options{PostgresURL: url, Now: c.now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { pg.Close() })
		out["postgres"] = pg
	}
	return out
}

// TestSetupInviteSession walks the account lifecycle: setup once with the
// right token only, a single-use invite, sessions with idle and absolute
// timeouts, and removal of a user ending their sessions.
func TestSetupInviteSession(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	for name, s := range clockedBackends(t, c) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			if has, err := s.HasUsers(ctx); err != nil || has {
				t.Fatalf("fresh store has users: %v %v", has, err)
			}
			if err := s.SetSetupToken(ctx, []byte("token-1"), c.now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			if err := s.SetSetupToken(ctx, []byte("token-2"), c.now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			if _, err := s.CompleteSetup(ctx, []byte("token-1"), "acme", "o@example.com", "h"); !errors.Is(err, ErrSetupClosed) {
				t.Fatalf("replaced token accepted: %v", err)
			}
			if ok, _ := s.SetupTokenValid(ctx, []byte("token-2")); !ok {
				t.Fatal("current token not valid")
			}
			owner, err := s.CompleteSetup(ctx, []byte("token-2"), "acme", "O@example.com", "h")
			if err != nil || owner.Role != RoleOwner || owner.Email != "o@example.com" {
				t.Fatalf("setup: %+v %v", owner, err)
			}
			if _, err := s.CompleteSetup(ctx, []byte("token-2"), "acme2", "p@example.com", "h"); !errors.Is(err, ErrSetupClosed) {
				t.Fatalf("second setup: %v", err)
			}
			if ok, _ := s.SetupTokenValid(ctx, []byte("token-2")); ok {
				t.Fatal("setup token valid after setup")
			}

			if _, err := s.CreateInvite(ctx, owner.OrgID, "v@example.com", RoleViewer, []byte("inv-1"), time.Hour); err != nil {
				t.Fatal(err)
			}
			if _, err := s.InviteByToken(ctx, []byte("inv-1")); err != nil {
				t.Fatal(err)
			}
			viewer, err := s.AcceptInvite(ctx, []byte("inv-1"), "h")
			if err != nil || viewer.Role != RoleViewer || viewer.OrgID != owner.OrgID {
				t.Fatalf("accept: %+v %v", viewer, err)
			}
			if _, err := s.AcceptInvite(ctx, []byte("inv-1"), "h"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("invite used twice: %v", err)
			}
			if _, err := s.CreateInvite(ctx, owner.OrgID, "late@example.com", RoleMember, []byte("inv-2"), time.Hour); err != nil {
				t.Fatal(err)
			}
			c.add(2 * time.Hour)
			if _, err := s.AcceptInvite(ctx, []byte("inv-2"), "h"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("expired invite accepted: %v", err)
			}

			const idle, absolute = 30 * time.Minute, 3 * time.Hour
			if err := s.CreateSession(ctx, []byte("sess-"+name), viewer.ID, false); err != nil {
				t.Fatal(err)
			}
			for range 8 { // 8 × 20 min: kept alive by use, until the absolute timeout
				c.add(20 * time.Minute)
				if _, _, err := s.SessionUser(ctx, []byte("sess-"+name), idle, absolute); err != nil {
					t.Fatalf("live session: %v", err)
				}
			}
			c.add(30 * time.Minute)
			if _, _, err := s.SessionUser(ctx, []byte("sess-"+name), idle, absolute); !errors.Is(err, ErrNotFound) {
				t.Fatalf("session past absolute timeout: %v", err)
			}
			if err := s.CreateSession(ctx, []byte("sess2-"+name), viewer.ID, false); err != nil {
				t.Fatal(err)
			}
			c.add(31 * time.Minute)
			if _, _, err := s.SessionUser(ctx, []byte("sess2-"+name), idle, absolute); !errors.Is(err, ErrNotFound) {
				t.Fatalf("idle session: %v", err)
			}
			if err := s.CreateSession(ctx, []byte("sess3-"+name), viewer.ID, false); err != nil {
				t.Fatal(err)
			}
			// A pending session (password passed, second factor not yet)
			// signs nobody in, and expires quickly.
			if err := s.CreateSession(ctx, []byte("pending-"+name), viewer.ID, true); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.SessionUser(ctx, []byte("pending-"+name), idle, absolute); !errors.Is(err, ErrNotFound) {
				t.Fatalf("pending session signs in: %v", err)
			}
			if u, err := s.PendingSessionUser(ctx, []byte("pending-"+name), 5*time.Minute); err != nil || u.ID != viewer.ID {
				t.Fatalf("pending session: %v %v", u, err)
			}
			if err := s.SetTOTPSealed(ctx, owner.OrgID, viewer.ID, []byte("sealed"), 9, []byte("sess3-"+name)); err != nil {
				t.Fatal(err)
			}
			if u, _ := s.UserByEmail(ctx, "v@example.com"); string(u.TOTPSealed) != "sealed" {
				t.Fatalf("totp sealed %q", u.TOTPSealed)
			}
			// The change ended the user's other sessions, not the one that made it.
			if _, err := s.PendingSessionUser(ctx, []byte("pending-"+name), 5*time.Minute); !errors.Is(err, ErrNotFound) {
				t.Fatalf("another session outlived a second-factor change: %v", err)
			}
			if _, _, err := s.SessionUser(ctx, []byte("sess3-"+name), idle, absolute); err != nil {
				t.Fatalf("the session that changed the second factor ended: %v", err)
			}
			for i, want := range []bool{true, false, false, true} { // step 10, 10 again, 9, 11
				step := []int64{10, 10, 9, 11}[i]
				if ok, err := s.UseTOTPStep(ctx, viewer.ID, step); ok != want || err != nil {
					t.Fatalf("use step %d: %v %v, want %v", step, ok, err, want)
				}
			}
			c.add(6 * time.Minute)
			if _, err := s.PendingSessionUser(ctx, []byte("pending-"+name), 5*time.Minute); !errors.Is(err, ErrNotFound) {
				t.Fatalf("old pending session: %v", err)
			}
			if err := s.DeleteUser(ctx, "org_other", viewer.ID); !errors.Is(err, ErrNotFound) {
				t.Fatalf("user removed through another organization: %v", err)
			}
			if err := s.DeleteUser(ctx, owner.OrgID, viewer.ID); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.SessionUser(ctx, []byte("sess3-"+name), idle, absolute); !errors.Is(err, ErrNotFound) {
				t.Fatalf("session of a removed user: %v", err)
			}
		})
	}
}
