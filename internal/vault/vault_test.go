package vault

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestSealBindsImportPurposeAndPosition(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v, err := Open(ctx, "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	k, wrapped, err := v.NewDataKey(ctx, "imt_a")
	if err != nil {
		t.Fatal(err)
	}
	plain := []byte("rows of import a")
	sealed := k.Seal(nil, PurposeChunk, 3, plain)
	if bytes.Contains(sealed, plain) {
		t.Fatal("plaintext visible in sealed bytes")
	}
	if again := k.Seal(nil, PurposeChunk, 3, plain); bytes.Equal(again, sealed) {
		t.Fatal("two seals are equal: nonce reused")
	}
	got, err := k.Open(nil, PurposeChunk, 3, sealed)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("open = %q, %v", got, err)
	}
	// A fresh vault (no cache) unwraps the stored key and opens the chunk.
	v.Forget("imt_a")
	k2, err := v.DataKey(ctx, "imt_a", wrapped)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k2.Open(nil, PurposeChunk, 3, sealed); err != nil {
		t.Fatalf("reopen with unwrapped key: %v", err)
	}
	// The same key material under another import id, another position,
	// another purpose, or tampered bytes: all refused.
	other, _ := v.DataKey(ctx, "imt_b", wrapped)
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	cases := []struct {
		name    string
		k       *DataKey
		purpose string
		n       int64
		sealed  []byte
	}{
		{"other import", other, PurposeChunk, 3, sealed},
		{"other position", k, PurposeChunk, 4, sealed},
		{"other purpose", k, PurposeContext, 3, sealed},
		{"tampered", k, PurposeChunk, 3, tampered},
		{"truncated", k, PurposeChunk, 3, sealed[:5]},
	}
	for _, c := range cases {
		if _, err := c.k.Open(nil, c.purpose, c.n, c.sealed); !errors.Is(err, ErrOpen) {
			t.Errorf("%s: got %v, want ErrOpen", c.name, err)
		}
	}
}

// TestSealInPlace: plaintext laid out after room for the nonce is sealed in
// its own buffer, and the result opens like any other seal.
func TestSealInPlace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v, err := Open(ctx, "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	k, _, err := v.NewDataKey(ctx, "imt_a")
	if err != nil {
		t.Fatal(err)
	}
	plain := []byte("rows sealed where they were encoded")
	for _, prefix := range []int{0, 5} {
		buf := make([]byte, prefix+NonceSize+len(plain), prefix+NonceSize+len(plain)+TagSize)
		copy(buf, "head!")
		copy(buf[prefix+NonceSize:], plain)
		sealed := k.Seal(buf[:prefix], PurposeChunk, 7, buf[prefix+NonceSize:])
		if &sealed[0] != &buf[0] {
			t.Fatalf("prefix %d: Seal allocated a new buffer", prefix)
		}
		if string(sealed[:prefix]) != "head!"[:prefix] {
			t.Fatalf("prefix %d: dst's bytes changed", prefix)
		}
		got, err := k.Open(nil, PurposeChunk, 7, sealed[prefix:])
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("prefix %d: open = %q, %v", prefix, got, err)
		}
	}
}

func TestShreddedKeyCannotOpen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v, _ := Open(ctx, "", t.TempDir())
	_, _, err := v.NewDataKey(ctx, "imt_x")
	if err != nil {
		t.Fatal(err)
	}
	// Still cached (no Forget yet), as when a request races the purge: a
	// destroyed wrapped key wins over the cache.
	if _, err := v.DataKey(ctx, "imt_x", nil); err == nil {
		t.Fatal("a destroyed (nil) wrapped key still gave a data key")
	}
}

func TestMasterKeyFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	v1, err := Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("master.key mode %v, want 0600", st.Mode().Perm())
	}
	k, wrapped, _ := v1.NewDataKey(ctx, "imt_y")
	sealed := k.Seal(nil, PurposeChunk, 0, []byte("x"))
	// A second start reads the same key file and opens data of the first.
	v2, err := Open(ctx, "file://"+filepath.Join(dir, "master.key"), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	k2, err := v2.DataKey(ctx, "imt_y", wrapped)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k2.Open(nil, PurposeChunk, 0, sealed); err != nil {
		t.Fatal(err)
	}
	// Another master key cannot unwrap it.
	v3, _ := Open(ctx, "", t.TempDir())
	if _, err := v3.DataKey(ctx, "imt_y", wrapped); err == nil {
		t.Fatal("another master key unwrapped the data key")
	}
	bad := filepath.Join(t.TempDir(), "bad.key")
	os.WriteFile(bad, []byte("short"), 0o600)
	if _, err := Open(ctx, "file://"+bad, ""); err == nil {
		t.Fatal("a malformed key file was accepted")
	}
}
