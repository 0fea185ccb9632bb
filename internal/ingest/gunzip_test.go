package ingest

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

// referenceGunzip is what compress/gzip makes of src with the same limit:
// its output, or errInflatedTooLarge, or errBadGzip.
func referenceGunzip(src []byte, limit int) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(src))
	if err != nil {
		return nil, errBadGzip
	}
	out, err := io.ReadAll(io.LimitReader(zr, int64(limit)+1))
	if len(out) > limit {
		return nil, errInflatedTooLarge
	}
	if err != nil {
		return nil, errBadGzip
	}
	return out, nil
}

// checkGunzip holds gunzip to compress/gzip on one input: without a
// limit, both accept it with the same output or both refuse it. With limit,
// a body compress/gzip accepts is refused as too large exactly when its
// output passes the limit; a corrupt one is refused either way.
func checkGunzip(t *testing.T, name string, src []byte, limit int) {
	t.Helper()
	const unlimited = 1 << 30
	want, werr := referenceGunzip(src, unlimited)
	got, err := gunzip(nil, src, unlimited)
	if (err == nil) != (werr == nil) || (err == nil && !bytes.Equal(got, want)) {
		t.Fatalf("%s: gunzip = %d bytes, %v; compress/gzip = %d bytes, %v", name, len(got), err, len(want), werr)
	}
	got, err = gunzip(nil, src, limit)
	switch {
	case werr != nil && err == nil:
		t.Fatalf("%s, limit %d: gunzip accepted a corrupt body", name, limit)
	case werr == nil && len(want) > limit && !errors.Is(err, errInflatedTooLarge):
		t.Fatalf("%s, limit %d: gunzip = %d bytes, %v; want errInflatedTooLarge", name, limit, len(got), err)
	case werr == nil && len(want) <= limit && (err != nil || !bytes.Equal(got, want)):
		t.Fatalf("%s, limit %d: gunzip = %d bytes, %v; want %d bytes", name, limit, len(got), err, len(want))
	}
}

type gzipOptions struct {
	level                 int
	name, comment         string
	extra                 []byte
	headerCRC, twoMembers bool
}

// gzipBody compresses data as a gzip member (two when asked), with the
// header fields of o.
func gzipBody(t *testing.T, data []byte, o gzipOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	for range 1 + btoi(o.twoMembers) {
		w, err := gzip.NewWriterLevel(&buf, o.level)
		if err != nil {
			t.Fatal(err)
		}
		w.Name, w.Comment, w.Extra = o.name, o.comment, o.extra
		w.Write(data)
		w.Close()
	}
	b := buf.Bytes()
	if o.headerCRC { // compress/gzip writes no FHCRC: add one by hand
		hdrEnd := len(b) - len(gzipBody(t, data, gzipOptions{level: o.level})) + 10
		h := append([]byte{}, b[:hdrEnd]...)
		h[3] |= 2
		sum := crc32.ChecksumIEEE(h)
		b = append(append(h, byte(sum), byte(sum>>8)), b[hdrEnd:]...)
	}
	return b
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// sampleRows is chunk-like JSON: repetitive, with runs, long matches and
// non-ASCII text.
func sampleRows(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	b.WriteString(`{"first_row":0,"rows":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `["%d","Chloé","name%d@example.org","%s","%0*d",null]`, i, r.IntN(1000), strings.Repeat("a", r.IntN(300)), r.IntN(9)+1, r.IntN(1e8))
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

func TestGunzipMatchesCompressGzip(t *testing.T) {
	t.Parallel()
	data := sampleRows(3000)
	random := make([]byte, 70000) // incompressible: stored blocks
	rand.NewChaCha8([32]byte{1}).Read(random)
	cases := []struct {
		name string
		data []byte
		o    gzipOptions
	}{
		{"default", data, gzipOptions{level: gzip.DefaultCompression}},
		{"best speed", data, gzipOptions{level: gzip.BestSpeed}},
		{"best compression", data, gzipOptions{level: gzip.BestCompression}},
		{"huffman only", data, gzipOptions{level: gzip.HuffmanOnly}},
		{"stored", data, gzipOptions{level: gzip.NoCompression}},
		{"random", random, gzipOptions{level: gzip.DefaultCompression}},
		{"empty", nil, gzipOptions{level: gzip.DefaultCompression}},
		{"one byte", []byte("x"), gzipOptions{level: gzip.DefaultCompression}},
		{"run", bytes.Repeat([]byte("ab"), 40000), gzipOptions{level: gzip.DefaultCompression}},
		{"header fields", data[:500], gzipOptions{level: 5, name: "rows.json", comment: "é", extra: []byte("xyz"), headerCRC: true}},
		{"two members", data[:5000], gzipOptions{level: 5, twoMembers: true}},
	}
	for _, c := range cases {
		body := gzipBody(t, c.data, c.o)
		checkGunzip(t, c.name, body, 1<<30)
		got, err := gunzip(nil, body, 1<<30)
		if want := bytes.Repeat(c.data, 1+btoi(c.o.twoMembers)); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s: did not round-trip: %v", c.name, err)
		}
		// Limits around the size, and every truncation and a flipped bit
		// at many positions: refused exactly when compress/gzip refuses.
		for _, limit := range []int{0, len(c.data) - 1, len(c.data), len(c.data) + 1} {
			if limit >= 0 {
				checkGunzip(t, fmt.Sprintf("%s, limit %d", c.name, limit), body, limit)
			}
		}
		step := max(1, len(body)/120)
		for i := 0; i < len(body); i += step {
			checkGunzip(t, fmt.Sprintf("%s cut at %d", c.name, i), body[:i], 1<<30)
			bad := bytes.Clone(body)
			bad[i] ^= 1 << (i % 8)
			checkGunzip(t, fmt.Sprintf("%s, bit flipped at %d", c.name, i), bad, 1<<30)
		}
		checkGunzip(t, c.name+" + trailing zeros", append(bytes.Clone(body), 0, 0, 0, 0), 1<<30)
		checkGunzip(t, c.name+" + trailing byte", append(bytes.Clone(body), 0x1f), 1<<30)
	}
}

// TestGunzipBadCodes covers DEFLATE refusals a flipped bit rarely reaches:
// raw blocks written bit by bit.
func TestGunzipBadCodes(t *testing.T) {
	t.Parallel()
	// A gzip member around raw DEFLATE bits (given as "0"/"1", first bit
	// first) with a trailer for want.
	member := func(bitString string, want []byte) []byte {
		var raw []byte
		for i, c := range strings.ReplaceAll(bitString, " ", "") {
			if i%8 == 0 {
				raw = append(raw, 0)
			}
			if c == '1' {
				raw[len(raw)-1] |= 1 << (i % 8)
			}
		}
		sum := crc32.ChecksumIEEE(want)
		out := append([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255}, raw...)
		return append(out, byte(sum), byte(sum>>8), byte(sum>>16), byte(sum>>24), byte(len(want)), 0, 0, 0)
	}
	for _, c := range []struct{ name, bits string }{
		{"block type 3", "1 11"},
		{"fixed: end of block", "1 10 0000000"},
		{"fixed: literal 'a' then end", "1 10 10010001 0000000"},
		{"fixed: length code 286", "1 10 11000110"},
		{"fixed: distance code 30", "1 10 10010001 0000001 11110"},
		{"fixed: distance before the start", "1 10 10010001 0000001 00001"},
		{"fixed: distance within, then truncated", "1 10 10010001 0000001 00000"},
		{"stored: length not complemented", "1 00 00000 00000000 00000000 00000000 00000000"},
		{"dynamic: too many length codes", "1 01 11111 00000 0000"},
		{"dynamic: no code lengths", "1 01 00000 00000 0000 000 000 000 000"},
	} {
		body := member(c.bits, []byte("a"))
		checkGunzip(t, c.name, body, 1<<20)
	}
	// A valid stored block, for contrast: both accept it.
	checkGunzip(t, "stored ok", member("1 00 00000 10000000 00000000 01111111 11111111 10000110", []byte("a")), 1<<20)
}

// FuzzGunzip holds gunzip to compress/gzip: same output, same refusals.
func FuzzGunzip(f *testing.F) {
	data := sampleRows(40)
	for _, level := range []int{gzip.NoCompression, gzip.BestSpeed, gzip.DefaultCompression, gzip.HuffmanOnly} {
		var buf bytes.Buffer
		w, _ := gzip.NewWriterLevel(&buf, level)
		w.Write(data)
		w.Close()
		f.Add(buf.Bytes(), uint16(len(data)))
	}
	f.Fuzz(func(t *testing.T, src []byte, limit uint16) {
		checkGunzip(t, "fuzz", src, int(limit))
	})
}
