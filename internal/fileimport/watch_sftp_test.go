package fileimport_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/intakehq/intake/internal/config"
	"github.com/intakehq/intake/internal/fileimport"
	"github.com/intakehq/intake/internal/fileimport/sftptest"
	"github.com/intakehq/intake/internal/server/servertest"
	"github.com/intakehq/intake/internal/store"
)

// TestWatchSFTPMovesEachFileOnce: a watched SFTP folder polled by the
// periodic job and, at the same time, by two more watchers (as other
// replicas would) imports each settled file once and moves it into the
// done folder; a file still being written, a dot-file and a subfolder are
// left; the file once settled is imported by a later poll.
func TestWatchSFTPMovesEachFileOnce(t *testing.T) {
	t.Parallel()
	for _, pg := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) {
			t.Parallel()
			testWatchSFTP(t, pg)
		})
	}
}

func testWatchSFTP(t *testing.T, pg bool) {
	srv := sftptest.Start(t)
	env := servertest.Start(t, servertest.Options{Postgres: pg, Configure: func(c *config.Config) {
		servertest.AllowLoopback(c)
		c.WatchInterval = time.Second
	}})
	im := newImporter(t, env, nil)
	old := time.Now().Add(-time.Hour)
	const settled = 4
	for i := range settled {
		srv.Drop(t, fmt.Sprintf("in/batch-%d.csv", i), []byte(csvRows(1000+i, nil)), old)
	}
	srv.Drop(t, "in/writing.csv", []byte(csvRows(10, nil)), time.Now())
	srv.Drop(t, "in/.upload.csv", []byte(csvRows(10, nil)), old)
	srv.Drop(t, "in/sub/nested.csv", []byte(csvRows(10, nil)), old)
	hostKey := srv.AuthorizedKey()
	watch := map[string]any{"endpoint": srv.Endpoint(), "prefix": "in", "done_prefix": "done",
		"host_key": hostKey, "password": sftptest.Password}
	if code := env.Do(t, "PUT", "/api/v1/importers/"+im.ID+"/watch", env.APIKey, watch, nil); code != http.StatusOK {
		t.Fatalf("put watch: %d", code)
	}
	var got map[string]any
	env.Do(t, "GET", "/api/v1/importers/"+im.ID+"/watch", env.APIKey, nil, &got)
	if _, leaked := got["password"]; leaked || got["after"] != "move" || got["host_key"] != hostKey {
		t.Fatalf("get watch: %v", got)
	}
	pollTwiceAtOnce(t, env)
	waitMoved(t, env, im.ID, srv, settled)

	// The file being written, once left alone, is imported by a later poll.
	if err := os.Chtimes(filepath.Join(srv.Dir, "in/writing.csv"), old, old); err != nil {
		t.Fatal(err)
	}
	waitMoved(t, env, im.ID, srv, settled+1)
	for _, left := range []string{"in/.upload.csv", "in/sub/nested.csv"} {
		if _, err := os.Stat(filepath.Join(srv.Dir, left)); err != nil {
			t.Errorf("%s: %v", left, err)
		}
	}
	var list struct{ Imports []fileState }
	env.Do(t, "GET", "/api/v1/imports?importer="+im.ID, env.APIKey, nil, &list)
	if len(list.Imports) != settled+1 {
		t.Errorf("%d imports for %d files", len(list.Imports), settled+1)
	}
	if strings.Contains(env.Logs.String(), canary) {
		t.Error("a cell value was logged")
	}
}

// waitMoved waits for n claims of importer to be done, and checks each
// came from a file now in the done folder, imported once.
func waitMoved(t *testing.T, env *servertest.Env, importerID string, srv *sftptest.Server, n int) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(60 * time.Second)
	for {
		claims, err := env.Server.Store.WatchClaims(ctx, env.OrgID, importerID)
		if err != nil {
			t.Fatal(err)
		}
		done := 0
		for _, c := range claims {
			if c.State == store.ClaimDone {
				done++
			}
		}
		if done == n && len(claims) == n {
			for _, c := range claims {
				if st := wait(t, env, c.ImportID); st.File.State != "completed" {
					t.Errorf("file %s: %+v", c.Key, *st.File)
				}
				if _, err := os.Stat(filepath.Join(srv.Dir, "done", filepath.Base(c.Key))); err != nil {
					t.Errorf("file %s not moved: %v", c.Key, err)
				}
				if _, err := os.Stat(filepath.Join(srv.Dir, c.Key)); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("file %s still in the folder: %v", c.Key, err)
				}
			}
			return
		}
		if len(claims) > n || time.Now().After(deadline) {
			t.Fatalf("%d of %d files done: %+v", done, n, claims)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestWatchSFTPPinsHostKey: a watch needs the server's host key, and one
// whose server shows another key claims nothing (the poll fails, logged
// without the key or the password).
func TestWatchSFTPPinsHostKey(t *testing.T) {
	t.Parallel()
	srv := sftptest.Start(t)
	env := servertest.Start(t, servertest.Options{Configure: servertest.AllowLoopback})
	im := newImporter(t, env, nil)
	srv.Drop(t, "in/a.csv", []byte(csvRows(10, nil)), time.Now().Add(-time.Hour))
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	otherSigner, _ := ssh.NewSignerFromKey(other)
	base := map[string]any{"endpoint": srv.Endpoint(), "prefix": "in", "done_prefix": "done", "password": sftptest.Password}
	with := func(k string, v any) map[string]any {
		m := map[string]any{k: v}
		for k, v := range base {
			if _, set := m[k]; !set {
				m[k] = v
			}
		}
		return m
	}
	for _, c := range []struct {
		name string
		body map[string]any
	}{
		{"no host key", base},
		{"not a key", with("host_key", "trust me")},
		{"tag", with("after", "tag")},
		{"no done folder", with("done_prefix", "")},
		{"no credentials", with("password", "")},
		{"password in the URL", with("endpoint", "sftp://"+sftptest.User+":"+sftptest.Password+"@"+srv.Addr)},
	} {
		if code := env.Do(t, "PUT", "/api/v1/importers/"+im.ID+"/watch", env.APIKey, c.body, nil); code != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", c.name, code)
		}
	}
	for _, c := range []struct {
		name    string
		hostKey string
		claims  int
	}{
		{"another key", string(ssh.MarshalAuthorizedKey(otherSigner.PublicKey())), 0},
		{"another fingerprint", ssh.FingerprintSHA256(otherSigner.PublicKey()), 0},
		{"the fingerprint", ssh.FingerprintSHA256(srv.HostKey), 1},
	} {
		if code := env.Do(t, "PUT", "/api/v1/importers/"+im.ID+"/watch", env.APIKey, with("host_key", c.hostKey), nil); code != http.StatusOK {
			t.Fatalf("%s: put watch: %d", c.name, code)
		}
		if err := fileimport.NewWatcher(env.Server.Files, loopbackOnly.DialContext).Poll(context.Background()); err != nil {
			t.Fatal(err)
		}
		claims, err := env.Server.Store.WatchClaims(context.Background(), env.OrgID, im.ID)
		if err != nil || len(claims) != c.claims {
			t.Fatalf("%s: %d claims, %v", c.name, len(claims), err)
		}
	}
	logs := env.Logs.String()
	if !strings.Contains(logs, "host key is not the pinned one") || strings.Contains(logs, sftptest.Password) {
		t.Errorf("logs: %s", logs)
	}
}
