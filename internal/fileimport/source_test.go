package fileimport

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"

	"github.com/intakehq/intake/internal/vault"
)

// TestSourceRoundTrip: a file sealed into segments reads back, through
// ReadAt at any offset and length (across segment boundaries, past the
// end), exactly as bytes.Reader reads the original, the oracle; nothing of
// it is stored in clear, and a limit refuses it and leaves no segment.
func TestSourceRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	b, err := fileblob.OpenBucket(dir, &fileblob.Options{Metadata: fileblob.MetadataDontWrite})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	v, err := vault.Open(ctx, "", filepath.Join(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	key, _, err := v.NewDataKey(ctx, "imt_x")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	plain := make([]byte, 3*segmentSize+12345)
	for i := range plain {
		plain[i] = byte('a' + rng.IntN(26))
	}
	n, size, err := writeSource(ctx, b, key, "imt_x", bytes.NewReader(plain), int64(len(plain)))
	if err != nil || n != 4 || size != int64(len(plain)) {
		t.Fatalf("write: %d segments, %d bytes, %v", n, size, err)
	}
	stored, _ := b.ReadAll(ctx, segmentKey("imt_x", 1))
	if bytes.Contains(stored, plain[segmentSize:segmentSize+64]) {
		t.Fatal("a segment is stored in clear")
	}
	src := &sourceReader{ctx: ctx, b: b, key: key, importID: "imt_x", segments: n, size: size}
	oracle := bytes.NewReader(plain)
	for range 300 {
		off := rng.Int64N(size + 100)
		p := make([]byte, rng.IntN(2*segmentSize))
		q := make([]byte, len(p))
		gn, gerr := src.ReadAt(p, off)
		wn, werr := oracle.ReadAt(q, off)
		if gn != wn || !bytes.Equal(p[:gn], q[:wn]) || errors.Is(gerr, io.EOF) != errors.Is(werr, io.EOF) {
			t.Fatalf("ReadAt(%d, %d) = %d, %v; bytes.Reader: %d, %v", len(p), off, gn, gerr, wn, werr)
		}
	}
	if _, _, err := writeSource(ctx, b, key, "imt_y", bytes.NewReader(plain), segmentSize+1); !errors.Is(err, errTooLarge) {
		t.Fatalf("over the limit: %v", err)
	}
	if it, _ := b.List(&blob.ListOptions{Prefix: "imports/imt_y/"}).Next(ctx); it != nil {
		t.Fatalf("a segment of a refused file stayed: %s", it.Key)
	}
}
