package parse

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Hostile files: each is refused with the error a caller can branch on, a
// message that names no cell value, and a bounded heap while it is read.

// workbookParts are the parts of a one-sheet workbook but its sheet.
var workbookParts = map[string]string{
	"[Content_Types].xml":        `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`,
	"_rels/.rels":                `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
	"xl/workbook.xml":            `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>`,
	"xl/_rels/workbook.xml.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
}

// writeWorkbook writes a workbook whose sheet's XML is written by sheet,
// streamed into the ZIP (a 200 MB sheet never sits in memory), and extra
// parts as given (replacing those of workbookParts of the same name).
func writeWorkbook(t testing.TB, path string, sheet func(io.Writer) error, extra map[string]string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, flate.BestSpeed) })
	parts := map[string]string{}
	for name, text := range workbookParts {
		parts[name] = text
	}
	for name, text := range extra {
		parts[name] = text
	}
	for name, text := range parts {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, text)
	}
	w, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		t.Fatal(err)
	}
	if err := sheet(w); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}

func sheetXML(rows string) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := io.WriteString(w, `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`+rows+`</sheetData></worksheet>`)
		return err
	}
}

// repeated writes head, n times unit, then tail.
func repeated(head, unit string, n int, tail string) func(io.Writer) error {
	return func(w io.Writer) error {
		io.WriteString(w, head)
		chunk := strings.Repeat(unit, max(1, 64<<10/len(unit)))
		per := max(1, 64<<10/len(unit))
		for n > 0 {
			k := min(n, per)
			if _, err := io.WriteString(w, chunk[:k*len(unit)]); err != nil {
				return err
			}
			n -= k
		}
		_, err := io.WriteString(w, tail)
		return err
	}
}

// peakHeap runs fn and returns the largest heap in use seen while it ran,
// above the heap before it.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	base := m.HeapInuse
	var peak atomic.Uint64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		var s runtime.MemStats
		for {
			runtime.ReadMemStats(&s)
			if s.HeapInuse > peak.Load() {
				peak.Store(s.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	fn()
	close(stop)
	wg.Wait()
	if p := peak.Load(); p > base {
		return p - base
	}
	return 0
}

// readFile opens path and reads every record, returning the first error.
func readFile(path string, opts Options) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	r, err := Open(f, info.Size(), filepath.Base(path), opts)
	if err != nil {
		return err
	}
	defer r.Close()
	for {
		if _, err := r.Next(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// lyingZip writes a ZIP whose one sheet entry inflates to size bytes of
// zeros while its directory claims claimed bytes (the same: an honest one).
func lyingZip(t *testing.T, path string, size, claimed int64) {
	t.Helper()
	var deflated bytes.Buffer
	fw, _ := flate.NewWriter(&deflated, flate.BestCompression)
	zeros := make([]byte, 1<<20)
	for n := int64(0); n < size; n += int64(len(zeros)) {
		fw.Write(zeros)
	}
	fw.Close()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	for name, text := range workbookParts {
		w, _ := zw.Create(name)
		io.WriteString(w, text)
	}
	w, err := zw.CreateRaw(&zip.FileHeader{
		Name: "xl/worksheets/sheet1.xml", Method: zip.Deflate,
		CompressedSize64: uint64(deflated.Len()), UncompressedSize64: uint64(claimed), CRC32: crc32.ChecksumIEEE(nil),
	})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(deflated.Bytes())
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestHostileFiles(t *testing.T) {
	dir := t.TempDir()
	secret := "SECRET-CELL-VALUE"
	cases := []struct {
		name  string
		make  func(path string)
		opts  Options
		want  error
		limit uint64 // heap bound while reading
	}{
		{"entity-expansion.xlsx", func(p string) {
			writeWorkbook(t, p, sheetXML(""), map[string]string{})
			lol := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "` + secret + `"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>`
			writeWorkbook(t, p, func(w io.Writer) error {
				_, err := io.WriteString(w, lol+`<worksheet><sheetData><row><c t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>`)
				return err
			}, nil)
		}, Options{}, ErrNotWorkbook, 8 << 20},
		// 256 MiB of zeros in 255 KiB: over 1000:1, stopped by the meter at 100:1.
		{"zip-bomb.xlsx", func(p string) {
			lyingZip(t, p, 256<<20, 256<<20)
			if info, _ := os.Stat(p); (256<<20)/info.Size() < 1000 {
				t.Fatalf("the test file's ratio is %d:1, not over 1000:1", (256<<20)/info.Size())
			}
		}, Options{}, ErrBomb, 8 << 20},
		// archive/zip stops an entry at the size its directory claims.
		{"zip-bomb-lying-directory.xlsx", func(p string) { lyingZip(t, p, 256<<20, 1000) }, Options{}, ErrNotWorkbook, 8 << 20},
		{"zip-slip.xlsx", func(p string) {
			writeWorkbook(t, p, sheetXML(`<row><c t="inlineStr"><is><t>x</t></is></c></row>`), map[string]string{"../../../etc/cron.d/evil": secret})
		}, Options{}, ErrNotWorkbook, 8 << 20},
		{"deep-200k.xlsx", func(p string) {
			writeWorkbook(t, p, repeated(`<worksheet><sheetData>`, `<a>`, 200_000, `</sheetData></worksheet>`), nil)
		}, Options{}, ErrNotWorkbook, 8 << 20},
		{"columns-20k.xlsx", func(p string) {
			writeWorkbook(t, p, repeated(`<worksheet><sheetData><row>`, `<c><v>1</v></c>`, 20_000, `</row></sheetData></worksheet>`), nil)
		}, Options{}, ErrTooManyColumns, 32 << 20},
		{"columns-20k.csv", func(p string) {
			os.WriteFile(p, []byte(strings.Repeat("1,", 20_000)+"1\n"), 0o600)
		}, Options{}, ErrTooManyColumns, 32 << 20},
		{"columns-10k-over-limit.csv", func(p string) {
			os.WriteFile(p, []byte(strings.Repeat("1,", 10_000)+"1\n"), 0o600)
		}, Options{Limits: Limits{MaxColumns: 1000}}, ErrTooManyColumns, 32 << 20},
		{"cells-10k-wide.xlsx", func(p string) {
			// 10k columns on 200 rows, past a bound of a million cells
			// (the default is the widget's 32 million).
			row := `<row>` + strings.Repeat(`<c><v>1</v></c>`, 10_000) + `</row>`
			writeWorkbook(t, p, repeated(`<worksheet><sheetData>`, row, 200, `</sheetData></worksheet>`), nil)
		}, Options{Limits: Limits{MaxCells: 1_000_000}}, ErrTooMuchData, 32 << 20},
		{"cell-100mb.csv", func(p string) {
			f, _ := os.Create(p)
			io.WriteString(f, "a,b\n1,\"")
			repeated("", secret, (100<<20)/len(secret), "\"\n")(f)
			f.Close()
		}, Options{}, ErrTooMuchData, 32 << 20},
		{"cell-100mb-unquoted.csv", func(p string) {
			f, _ := os.Create(p)
			io.WriteString(f, "a,b\n1,")
			repeated("", secret, (100<<20)/len(secret), "\n")(f)
			f.Close()
		}, Options{}, ErrTooMuchData, 32 << 20},
		{"cell-100mb.xlsx", func(p string) {
			writeWorkbook(t, p, repeated(`<worksheet><sheetData><row><c t="inlineStr"><is><t>`, secret, (100<<20)/len(secret), `</t></is></c></row></sheetData></worksheet>`), nil)
		}, Options{}, ErrTooMuchData, 32 << 20},
		{"text-node-200mb.xlsx", func(p string) {
			writeWorkbook(t, p, repeated(`<worksheet><sheetData>`, secret, (200<<20)/len(secret), `</sheetData></worksheet>`), nil)
		}, Options{}, ErrBomb, 16 << 20},
		{"tag-2mb.xlsx", func(p string) {
			writeWorkbook(t, p, repeated(`<worksheet><sheetData><row a="`, "x", 2<<20, `"/></sheetData></worksheet>`), nil)
		}, Options{}, ErrNotWorkbook, 16 << 20},
		{"too-large.csv", func(p string) { os.WriteFile(p, []byte("a,b\n1,2\n"), 0o600) }, Options{Limits: Limits{MaxBytes: 4}}, ErrTooLarge, 1 << 20},
		{"not-a-zip.xlsx", func(p string) { os.WriteFile(p, []byte("a,b\n1,2\n"), 0o600) }, Options{}, ErrNotWorkbook, 1 << 20},
		{"ole.xlsx", func(p string) { os.WriteFile(p, []byte{0xd0, 0xcf, 0x11, 0xe0, 0, 0, 0, 0}, 0o600) }, Options{}, ErrEncrypted, 1 << 20},
		{"binary.csv", func(p string) { os.WriteFile(p, bytes.Repeat([]byte{0, 1, 2, 3, 'a'}, 1000), 0o600) }, Options{}, ErrBinary, 4 << 20},
		{"blank.csv", func(p string) { os.WriteFile(p, []byte(",,,\n  ,\n\n"), 0o600) }, Options{}, ErrEmpty, 1 << 20},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, c.name)
			c.make(path)
			var err error
			heap := peakHeap(func() { err = readFile(path, c.opts) })
			if !errors.Is(err, c.want) {
				t.Fatalf("error %v, want %v", err, c.want)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "xxxx") {
				t.Errorf("the error names a cell value: %v", err)
			}
			if heap > c.limit {
				t.Errorf("heap grew by %d MB reading it, bound %d MB", heap>>20, c.limit>>20)
			}
			t.Logf("%v (heap +%.1f MB)", err, float64(heap)/(1<<20))
		})
	}
}

func ExampleCode() {
	_, err := Open(strings.NewReader(""), 0, "empty.csv", Options{})
	fmt.Println(Code(err))
	// Output: empty_file
}

// An error ends the file: Next keeps returning it.
func TestErrorIsSticky(t *testing.T) {
	t.Parallel()
	data := []byte("a,b\n" + strings.Repeat("1,", 100) + "1\n3,4\n")
	r, err := Open(bytes.NewReader(data), int64(len(data)), "x.csv", Options{Limits: Limits{MaxColumns: 10}})
	if !errors.Is(err, ErrTooManyColumns) {
		// The first rows are read by Open: the error may come from there.
		t.Fatalf("Open: %v", err)
	}
	if r != nil {
		t.Fatal("a reader with the error")
	}
	data = []byte("a,b\n" + strings.Repeat("x\n", 60) + strings.Repeat("1,", 100) + "1\n3,4\n")
	r, err = Open(bytes.NewReader(data), int64(len(data)), "x.csv", Options{Limits: Limits{MaxColumns: 10}})
	if err != nil {
		t.Fatal(err)
	}
	var first error
	for range 100 {
		if _, first = r.Next(); first != nil {
			break
		}
	}
	if !errors.Is(first, ErrTooManyColumns) {
		t.Fatalf("Next: %v", first)
	}
	if _, again := r.Next(); !errors.Is(again, first) {
		t.Fatalf("then %v", again)
	}
}
