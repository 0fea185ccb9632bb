package fileimport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"gocloud.dev/blob"

	"github.com/intakehq/intake/internal/vault"
)

// A source file is kept, until its job is done, as sealed segments in the
// blob store under its import's prefix, so that a purge of the import
// deletes it and shredding its data key makes it unreadable at once. Its
// plaintext is never written to disk: the upload is sealed a segment at a
// time as it arrives, and the job reads it back a segment at a time.
const (
	segmentSize = 1 << 20
	// purposeSource and purposeSpec bind sealed segments and the job's
	// spec to what they are (vault's purposes are per data key, and these
	// are a file import's own).
	purposeSource = "source"
	purposeSpec   = "file-spec"
	// cachedSegments is how many opened segments a reader keeps: a zip's
	// directory at the end and the entry being inflated, without reading
	// either again for every small ReadAt.
	cachedSegments = 4
)

func segmentKey(importID string, n int) string {
	return fmt.Sprintf("imports/%s/source/%06d", importID, n)
}

// errTooLarge means the upload went past its bound.
var errTooLarge = errors.New("file too large")

// writeSource seals r into segments, at most limit bytes, and returns the
// number of segments and the size. On error it deletes what it wrote.
// Each segment is read and sealed in place in one buffer.
func writeSource(ctx context.Context, b *blob.Bucket, key *vault.DataKey, importID string, r io.Reader, limit int64) (int, int64, error) {
	buf := make([]byte, vault.NonceSize+segmentSize+vault.TagSize)
	var size int64
	n := 0
	for {
		got, err := io.ReadFull(r, buf[vault.NonceSize:vault.NonceSize+segmentSize])
		if got > 0 {
			size += int64(got)
			if size > limit {
				deleteSource(context.WithoutCancel(ctx), b, importID, n)
				return 0, 0, errTooLarge
			}
			sealed := key.Seal(buf[:0], purposeSource, int64(n), buf[vault.NonceSize:vault.NonceSize+got])
			if werr := writeSegment(ctx, b, segmentKey(importID, n), sealed); werr != nil {
				deleteSource(context.WithoutCancel(ctx), b, importID, n)
				return 0, 0, fmt.Errorf("store file segment %d: %w", n, werr)
			}
			n++
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return n, size, nil
		}
		if err != nil {
			deleteSource(context.WithoutCancel(ctx), b, importID, n)
			return 0, 0, fmt.Errorf("read the file: %w", err)
		}
	}
}

// writeSegment stores one sealed segment. Unlike Bucket.WriteAll it skips
// the MD5 (a sixth of a file import's upload cost, measured): AES-GCM
// already authenticates every byte when the segment is opened.
func writeSegment(ctx context.Context, b *blob.Bucket, key string, sealed []byte) error {
	w, err := b.NewWriter(ctx, key, &blob.WriterOptions{ContentType: "application/octet-stream"})
	if err != nil {
		return err
	}
	if _, err := w.Write(sealed); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// deleteSource removes the first n segments of an import's source; the
// import's purge would too, later.
func deleteSource(ctx context.Context, b *blob.Bucket, importID string, n int) {
	for i := range n {
		_ = b.Delete(ctx, segmentKey(importID, i))
	}
}

// sourceReader reads a sealed source back as an io.ReaderAt, opening the
// segments it needs and keeping the last few.
type sourceReader struct {
	ctx      context.Context
	b        *blob.Bucket
	key      *vault.DataKey
	importID string
	segments int
	size     int64

	mu    sync.Mutex
	cache []openSegment
}

type openSegment struct {
	n    int
	data []byte // opened in place in buf
	buf  []byte
}

func (s *sourceReader) segment(n int) ([]byte, error) {
	for i, c := range s.cache {
		if c.n == n {
			// Most recent last.
			s.cache = append(append(s.cache[:i:i], s.cache[i+1:]...), c)
			return c.data, nil
		}
	}
	var buf []byte
	if len(s.cache) >= cachedSegments {
		buf = s.cache[0].buf
		s.cache = s.cache[1:]
	}
	buf, err := readBlob(s.ctx, s.b, segmentKey(s.importID, n), buf)
	if err != nil {
		return nil, fmt.Errorf("read file segment %d: %w", n, err)
	}
	if len(buf) < vault.NonceSize {
		return nil, fmt.Errorf("open file segment %d: %w", n, vault.ErrOpen)
	}
	// Opened in place: the plaintext overwrites the ciphertext.
	data, err := s.key.Open(buf[vault.NonceSize:vault.NonceSize], purposeSource, int64(n), buf)
	if err != nil {
		return nil, fmt.Errorf("open file segment %d: %w", n, err)
	}
	s.cache = append(s.cache, openSegment{n: n, data: data, buf: buf})
	return data, nil
}

// readBlob reads a whole blob into buf, grown only when it is too small,
// rather than into a fresh buffer grown as it fills (Bucket.ReadAll).
func readBlob(ctx context.Context, b *blob.Bucket, key string, buf []byte) ([]byte, error) {
	r, err := b.NewReader(ctx, key, nil)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	size := r.Size()
	if size < 0 || size > vault.NonceSize+segmentSize+vault.TagSize {
		return nil, fmt.Errorf("a segment of %d bytes", size)
	}
	if int64(cap(buf)) < size {
		buf = make([]byte, size)
	}
	buf = buf[:size]
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, err
	}
	return buf, nil
}

// ReadAt implements io.ReaderAt.
func (s *sourceReader) ReadAt(p []byte, off int64) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	read := 0
	for read < len(p) {
		at := off + int64(read)
		if at >= s.size {
			return read, io.EOF
		}
		data, err := s.segment(int(at / segmentSize))
		if err != nil {
			return read, err
		}
		read += copy(p[read:], data[at%segmentSize:])
	}
	return read, nil
}
