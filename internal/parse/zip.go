package parse

import (
	"archive/zip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/klauspost/compress/flate"
)

// The ZIP side of an XLSX file, bounded before anything is inflated: the
// central directory is checked first (entry count, names, sizes, no
// ZIP64), then archive/zip opens it, and every entry is inflated through a
// meter that stops at the widget's ratio and at the read's budget,
// whatever the directory claims (docs/parsing.md, "Limits").

const (
	// maxEntries bounds the entries of an archive (a workbook has tens).
	maxEntries = 10_000
	// maxDirectory bounds the central directory's bytes.
	maxDirectory = 16 << 20
	// maxRatio and minBombBytes: an entry inflating past both is a bomb.
	maxRatio     = 100
	minBombBytes = 16 << 20
	// maxReadBytes is the inflated bytes of one read: opening the workbook
	// is one, each sheet read another.
	maxReadBytes = 2 << 30
	// maxPartBytes bounds a part read for its structure (relationships,
	// workbook, styles).
	maxPartBytes = 64 << 20
)

// archive is an XLSX file's ZIP, its entries by name.
type archive struct {
	entries map[string]*zip.File
}

func openArchive(r io.ReaderAt, size int64) (*archive, error) {
	if err := checkDirectory(r, size); err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotWorkbook, err)
	}
	// klauspost/compress inflates about twice as fast as compress/flate,
	// the same format.
	zr.RegisterDecompressor(zip.Deflate, func(r io.Reader) io.ReadCloser { return flate.NewReader(r) })
	a := &archive{entries: make(map[string]*zip.File, len(zr.File))}
	for _, f := range zr.File {
		name := f.Name
		if err := checkName(name); err != nil {
			return nil, err
		}
		a.entries[strings.TrimLeft(name, "/")] = f
	}
	return a, nil
}

// checkDirectory reads the end of central directory record, as the widget
// does, and refuses what it will not read: no record, ZIP64, too many
// entries or too large a directory.
func checkDirectory(r io.ReaderAt, size int64) error {
	tailSize := min(size, 65557)
	tail := make([]byte, tailSize)
	if _, err := r.ReadAt(tail, size-tailSize); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read the ZIP directory: %w", err)
	}
	eocd := -1
	for i := len(tail) - 22; i >= 0; i-- {
		if binary.LittleEndian.Uint32(tail[i:]) == 0x06054b50 {
			eocd = i
			break
		}
	}
	if eocd < 0 {
		return fmt.Errorf("%w: no ZIP end of central directory", ErrNotWorkbook)
	}
	count := binary.LittleEndian.Uint16(tail[eocd+10:])
	dirSize := binary.LittleEndian.Uint32(tail[eocd+12:])
	dirOffset := binary.LittleEndian.Uint32(tail[eocd+16:])
	switch {
	case dirOffset == 0xffffffff || count == 0xffff:
		return fmt.Errorf("%w: ZIP64 archives are not supported", ErrNotWorkbook)
	case count > maxEntries:
		return fmt.Errorf("%w: %d ZIP entries, limit %d", ErrTooMuchData, count, maxEntries)
	case dirSize > maxDirectory:
		return fmt.Errorf("%w: a ZIP directory of %d bytes", ErrTooMuchData, dirSize)
	case int64(dirOffset)+int64(dirSize) > size:
		return fmt.Errorf("%w: ZIP directory out of bounds", ErrNotWorkbook)
	}
	return nil
}

// checkName refuses an entry name that would leave a directory if written
// out (zip-slip): Intake writes no entry to disk, but a workbook never has
// such a name, so it is taken as hostile.
func checkName(name string) error {
	clean := strings.ReplaceAll(name, "\\", "/")
	if strings.ContainsRune(name, 0) || path.IsAbs(strings.TrimLeft(clean, "/")) || (len(clean) > 1 && clean[1] == ':') {
		return fmt.Errorf("%w: an unsafe ZIP entry name", ErrNotWorkbook)
	}
	for _, part := range strings.Split(clean, "/") {
		if part == ".." {
			return fmt.Errorf("%w: a ZIP entry name leaves its folder", ErrNotWorkbook)
		}
	}
	return nil
}

// budget is what is left of one read's inflated bytes.
type budget struct{ left int64 }

func newBudget() *budget { return &budget{left: maxReadBytes} }

// open inflates an entry through the meter.
func (a *archive) open(name string, b *budget, limit int64) (io.ReadCloser, error) {
	f, ok := a.entries[name]
	if !ok {
		return nil, nil
	}
	if f.Flags&1 == 1 {
		return nil, fmt.Errorf("%w: an encrypted ZIP entry", ErrEncrypted)
	}
	if int64(f.UncompressedSize64) > b.left {
		return nil, fmt.Errorf("%w: an entry is larger than the inflated-bytes budget", ErrTooMuchData)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotWorkbook, err)
	}
	bomb := max(minBombBytes, maxRatio*int64(f.CompressedSize64))
	return &meter{rc: rc, budget: b, bomb: bomb, limit: limit}, nil
}

// meter counts inflated bytes and stops at the ratio, the budget and the
// part's own limit.
type meter struct {
	rc     io.ReadCloser
	budget *budget
	total  int64
	bomb   int64
	limit  int64
}

func (m *meter) Read(p []byte) (int, error) {
	n, err := m.rc.Read(p)
	m.total += int64(n)
	m.budget.left -= int64(n)
	switch {
	case m.total > m.bomb:
		return 0, fmt.Errorf("%w: an entry inflates past %d:1", ErrBomb, maxRatio)
	case m.budget.left < 0:
		return 0, fmt.Errorf("%w: the file inflates beyond %d bytes", ErrTooMuchData, int64(maxReadBytes))
	case m.limit > 0 && m.total > m.limit:
		return 0, fmt.Errorf("%w: a workbook part is longer than %d bytes", ErrTooMuchData, m.limit)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return n, fmt.Errorf("%w: %w", ErrNotWorkbook, err)
	}
	return n, err
}

func (m *meter) Close() error { return m.rc.Close() }
