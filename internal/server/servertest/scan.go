package servertest

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf16"
)

// Encodings returns the byte forms a secret may take at rest: UTF-8, and
// UTF-16 in both byte orders (as an XLSX or a UTF-16 CSV would hold it).
func Encodings(secret string) [][]byte {
	forms := [][]byte{[]byte(secret)}
	units := utf16.Encode([]rune(secret))
	le, be := make([]byte, 0, 2*len(units)), make([]byte, 0, 2*len(units))
	for _, u := range units {
		le = append(le, byte(u), byte(u>>8))
		be = append(be, byte(u>>8), byte(u))
	}
	return append(forms, le, be)
}

// FindInDir returns the files under dir whose bytes contain any needle.
func FindInDir(t testing.TB, dir string, needles ...[]byte) []string {
	t.Helper()
	var hits []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil // a file removed while we walk (WAL checkpoint)
			}
			return err
		}
		if !d.Type().IsRegular() {
			return nil // directories, and sockets or pipes (PostgreSQL's data directory has one)
		}
		f, err := os.Open(p) //nolint:gosec // a test scanning its own temporary folders
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		defer f.Close()
		b, err := io.ReadAll(f)
		if err != nil {
			return err
		}
		for _, n := range needles {
			if bytes.Contains(b, n) {
				hits = append(hits, p)
				break
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("scan %s: %v", dir, err)
	}
	return hits
}

// FindSecret reports every place of the env that holds secret in any of its
// encodings: files under the data folder, the in-process S3 objects, and the
// server's log output.
func (e *Env) FindSecret(t testing.TB, secret string) []string {
	t.Helper()
	needles := Encodings(secret)
	hits := FindInDir(t, e.DataDir, needles...)
	for _, n := range needles {
		if bytes.Contains([]byte(e.Logs.String()), n) {
			hits = append(hits, "server log")
			break
		}
	}
	if e.S3 != nil {
		hits = append(hits, e.findInS3(t, needles)...)
	}
	return hits
}

// Plant writes secret (UTF-16LE) to a file under dir, for tests to prove
// that their scan finds what is there.
func Plant(t testing.TB, dir, secret string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "planted-control"), Encodings(secret)[1], 0o600); err != nil {
		t.Fatal(err)
	}
}
