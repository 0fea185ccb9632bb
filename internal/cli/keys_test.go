package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/intakehq/intake/internal/server"
	"github.com/intakehq/intake/internal/store"
	"github.com/intakehq/intake/internal/vault"
)

// uploadDemo stores one completed import of the demo importer, in chunks
// of 100 rows, through a running serve, and returns its id.
func uploadDemo(t *testing.T, base string, chunks int) string {
	t.Helper()
	var up struct {
		ImportID    string `json:"import_id"`
		UploadToken string `json:"upload_token"`
	}
	create, _ := json.Marshal(map[string]any{"importer": "imp_demo", "columns": []string{"id", "first_name", "email"},
		"source": map[string]any{"format": "csv", "size_bytes": 1000}, "rows": 100 * chunks})
	if code := call(t, "POST", base+"/api/v1/uploads", "", bytes.NewReader(create), &up); code != http.StatusCreated {
		t.Fatalf("create upload: %d", code)
	}
	for n := range chunks {
		url := fmt.Sprintf("%s/api/v1/uploads/%s/chunks/%d", base, up.ImportID, n)
		if code := call(t, "PUT", url, up.UploadToken, bytes.NewReader(demoChunk(100*n, 100)), nil); code != http.StatusOK {
			t.Fatalf("chunk %d: %d", n, code)
		}
	}
	done, _ := json.Marshal(map[string]any{"chunks": chunks, "rows": 100 * chunks, "rows_skipped": 0})
	if code := call(t, "POST", fmt.Sprintf("%s/api/v1/uploads/%s/complete", base, up.ImportID), up.UploadToken, bytes.NewReader(done), nil); code != http.StatusOK {
		t.Fatalf("complete: %d", code)
	}
	return up.ImportID
}

// newKeyFile writes a fresh 32-byte master key (base64) and returns its URL.
func newKeyFile(t *testing.T, path string) string {
	t.Helper()
	key := make([]byte, vault.KeySize)
	rand.Read(key)
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return "file://" + path
}

// hashTree maps every file under dir to the SHA-256 of its bytes.
func hashTree(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	out := map[string][32]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = sha256.Sum256(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// opens reports whether v unwraps import id's data key in the database
// of dataDir and opens every one of its chunks in that folder's blobs.
func opens(t *testing.T, dataDir string, v *vault.Vault, id string) bool {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{SQLitePath: filepath.Join(dataDir, "intake.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	bucket, err := server.OpenBucket(ctx, "", dataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer bucket.Close()
	im, err := st.ImportByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	v.Forget(id)
	key, err := v.DataKey(ctx, id, im.WrappedKey)
	if err != nil {
		return false
	}
	chunks, err := st.Chunks(ctx, id)
	if err != nil || len(chunks) == 0 {
		t.Fatalf("import %s: %d chunks, %v", id, len(chunks), err)
	}
	for _, c := range chunks {
		sealed, err := bucket.ReadAll(ctx, c.BlobKey)
		if err != nil {
			return false
		}
		if _, err := key.Open(nil, vault.PurposeChunk, int64(c.N), sealed); err != nil {
			return false
		}
	}
	return true
}

func openVault(t *testing.T, url, dataDir string) *vault.Vault {
	t.Helper()
	v, err := vault.Open(context.Background(), url, dataDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

func runCmd(t *testing.T, name string, args ...string) string {
	t.Helper()
	var out, errOut strings.Builder
	if code := Run(context.Background(), append([]string{name}, args...), strings.NewReader(""), &out, &errOut); code != exitOK {
		t.Fatalf("intake %s %v exited %d: %s", name, args, code, errOut.String())
	}
	return out.String()
}

// TestKeysRotate: after `intake keys rotate`, the old master key opens no
// import's data key and no destination's settings, the new one opens all
// of them, every chunk blob is unchanged byte for byte, and serve runs on
// the new key. Run again, it rewrites nothing.
func TestKeysRotate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	srv := startServe(t, dir)
	ids := []string{uploadDemo(t, srv.base, 2), uploadDemo(t, srv.base, 3)}
	srv.stop(t)

	oldV := openVault(t, "", dir) // DATA_DIR/master.key
	st, err := store.Open(ctx, store.Options{SQLitePath: filepath.Join(dir, "intake.db")})
	if err != nil {
		t.Fatal(err)
	}
	im, err := st.ImporterByKey(ctx, "imp_demo")
	if err != nil {
		t.Fatal(err)
	}
	destID := store.NewID("dst_")
	settings := []byte(`{"url":"https://example.test/hook","secret":"whsec_test"}`)
	sealed, err := oldV.SealSecret(ctx, destID, settings)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateDestination(ctx, store.Destination{ID: destID, OrgID: im.OrgID, ImporterID: im.ID, Kind: "webhook",
		BatchSize: 100, Parallel: 1, SealedSettings: sealed}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	blobs := hashTree(t, filepath.Join(dir, "blobs"))
	if len(blobs) != 5 {
		t.Fatalf("%d chunk blobs, want 5", len(blobs))
	}

	newURL := newKeyFile(t, filepath.Join(t.TempDir(), "new.key"))
	var counts store.RewrapCounts
	if err := json.Unmarshal([]byte(runCmd(t, "keys", "rotate", "--data-dir", dir, "--new-master-key-url", newURL)), &counts); err != nil {
		t.Fatal(err)
	}
	if counts != (store.RewrapCounts{Imports: 2, Destinations: 1}) {
		t.Errorf("rotate rewrote %+v, want 2 imports and 1 destination", counts)
	}
	newV := openVault(t, newURL, dir)
	for _, id := range ids {
		if opens(t, dir, oldV, id) {
			t.Errorf("the old master key still opens import %s", id)
		}
		if !opens(t, dir, newV, id) {
			t.Errorf("the new master key does not open import %s", id)
		}
	}
	st, err = store.Open(ctx, store.Options{SQLitePath: filepath.Join(dir, "intake.db")})
	if err != nil {
		t.Fatal(err)
	}
	d, err := st.DestinationByID(ctx, destID)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := oldV.OpenSecret(ctx, destID, d.SealedSettings); err == nil {
		t.Error("the old master key still opens the destination's settings")
	}
	if got, err := newV.OpenSecret(ctx, destID, d.SealedSettings); err != nil || !bytes.Equal(got, settings) {
		t.Errorf("the new master key opens the settings as %q, %v", got, err)
	}
	if after := hashTree(t, filepath.Join(dir, "blobs")); fmt.Sprint(after) != fmt.Sprint(blobs) {
		t.Error("rotation changed chunk blobs")
	}

	if err := json.Unmarshal([]byte(runCmd(t, "keys", "rotate", "--data-dir", dir, "--new-master-key-url", newURL)), &counts); err != nil {
		t.Fatal(err)
	}
	if counts != (store.RewrapCounts{Unchanged: 3}) {
		t.Errorf("a second rotation rewrote %+v, want nothing (3 unchanged)", counts)
	}
	// Without the new key, serve would not read the rotated imports; with it,
	// it starts and stores a new import under it.
	again := startServe(t, dir, "INTAKE_MASTER_KEY_URL="+newURL)
	third := uploadDemo(t, again.base, 1)
	again.stop(t)
	if !opens(t, dir, newV, third) || opens(t, dir, oldV, third) {
		t.Error("an import stored after rotation is not under the new key alone")
	}
}

// TestOldBackupAfterPurge says exactly what crypto-shredding does and does
// not do for backups. A backup taken before a purge still holds the purged
// import's wrapped data key (and, if the blob store was backed up too, its
// chunks): restored beside the same master key, it opens the import again.
// Only a master key that no longer exists makes that backup unreadable:
// after `intake keys rotate` and the destruction of the old key, the same
// restored backup opens nothing, the purged import included.
func TestOldBackupAfterPurge(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	srv := startServe(t, dir)
	purged, kept := uploadDemo(t, srv.base, 2), uploadDemo(t, srv.base, 1)
	srv.stop(t)

	// The backup: a consistent copy of the database (VACUUM INTO, as
	// docs/deploy.md says) and of the blob folder.
	backup := t.TempDir()
	db, err := sql.Open("sqlite", filepath.Join(dir, "intake.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `VACUUM INTO '`+filepath.Join(backup, "intake.db")+`'`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	copyDir(t, filepath.Join(dir, "blobs"), filepath.Join(backup, "blobs"))
	oldKey, err := os.ReadFile(filepath.Join(dir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}

	runCmd(t, "purge", "--import", purged, "--data-dir", dir)
	live := openVault(t, "", dir)
	if opens(t, dir, live, purged) {
		t.Fatal("the live database still opens the purged import")
	}

	// What is true before rotation: the old backup and the master key that
	// still exists bring the purged import back.
	restoreWith := func(key []byte) string {
		r := t.TempDir()
		copyDir(t, backup, r)
		if err := os.WriteFile(filepath.Join(r, "master.key"), key, 0o600); err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := restoreWith(oldKey)
	if !opens(t, r, openVault(t, "", r), purged) {
		t.Fatal("the restored backup with the same master key does not open the purged import: the test proves nothing")
	}

	// Rotate, then destroy the old key (here: replace master.key with the
	// new one, as an operator of the embedded default would).
	newPath := filepath.Join(t.TempDir(), "new.key")
	newURL := newKeyFile(t, newPath)
	runCmd(t, "keys", "rotate", "--data-dir", dir, "--new-master-key-url", newURL)
	newKey, err := os.ReadFile(newPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "master.key"), newKey, 0o600); err != nil {
		t.Fatal(err)
	}
	if !opens(t, dir, openVault(t, "", dir), kept) {
		t.Fatal("the live import does not open under the new key")
	}
	r = restoreWith(newKey)
	for _, id := range []string{purged, kept} {
		if opens(t, r, openVault(t, "", r), id) {
			t.Errorf("the old backup restored with only the new master key opens import %s", id)
		}
	}
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(to, b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRotateNeverRestoresAShreddedKey: a purge that destroys a data key
// while the rotation holds it (read, being rewrapped) wins: the rotation's
// write finds the key changed and stores nothing.
func TestRotateNeverRestoresAShreddedKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	srv := startServe(t, dir)
	id := uploadDemo(t, srv.base, 1)
	srv.stop(t)
	st, err := store.Open(ctx, store.Options{SQLitePath: filepath.Join(dir, "intake.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	counts, err := st.RewrapKeys(ctx, func(ctx context.Context, owner string, wrapped []byte) ([]byte, error) {
		// The purge's shredding, between the rotation's read and its write.
		if _, err := st.WriteDB().ExecContext(ctx, `UPDATE imports SET wrapped_key = NULL WHERE id = $1`, owner); err != nil {
			return nil, err
		}
		return []byte("rewrapped"), nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	im, err := st.ImportByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if im.WrappedKey != nil || counts.Imports != 0 {
		t.Errorf("after a purge raced the rotation: wrapped key %q, %d rewritten; want none", im.WrappedKey, counts.Imports)
	}
}
