package parse

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// Fuzz targets: whatever the bytes, the parser returns rows or an error of
// a listed kind (Code names it), never panics, and never yields a blank row.
//
//	go test -run '^$' -fuzz FuzzCSV -fuzztime 3m ./internal/parse/

// readAllFrom reads every record of data opened as name.
func readAllFrom(t *testing.T, data []byte, name string, opts Options) {
	r, err := Open(bytes.NewReader(data), int64(len(data)), name, opts)
	if err != nil {
		if Code(err) == "" {
			t.Fatalf("Open: an error of no listed kind: %v", err)
		}
		return
	}
	defer r.Close()
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			if Code(err) == "" {
				t.Fatalf("Next: an error of no listed kind: %v", err)
			}
			return
		}
		if blank(row) {
			t.Fatalf("a blank row was yielded")
		}
	}
}

// seeds adds every corpus file with the extension ext.
func seeds(f *testing.F, ext string) {
	root := filepath.Join("..", "..", "testdata")
	filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Ext(path) == ext {
			if data, err := os.ReadFile(path); err == nil && len(data) < 1<<20 {
				f.Add(data)
			}
		}
		return nil
	})
}

func FuzzCSV(f *testing.F) {
	seeds(f, ".csv")
	for _, s := range []string{"sep=;\na;b\n", "\"a\"  ,b\r\n\"c\"\"\"\n", "\xff\xfea\x00,\x00b\x00", "\"a\"\"", "a\r\r\n\"\r\n\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		readAllFrom(t, data, "fuzz.csv", Options{Limits: Limits{MaxCellBytes: 4096, MaxColumns: 64}})
		readAllFrom(t, data, "fuzz.tsv", Options{Encoding: "utf-16be"})
	})
}

// FuzzXLSX throws bytes at the ZIP guard: the directory checks and
// archive/zip behind them.
func FuzzXLSX(f *testing.F) {
	seeds(f, ".xlsx")
	f.Fuzz(func(t *testing.T, data []byte) {
		readAllFrom(t, data, "fuzz.xlsx", Options{Limits: Limits{MaxCells: 100_000}})
	})
}

// FuzzSheetXML throws bytes at the XML scanner and the sheet reader, as
// the sheet of an otherwise valid workbook.
func FuzzSheetXML(f *testing.F) {
	for _, s := range []string{
		`<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>a&amp;b</t></is></c><c r="B1" s="1"><v>45000.5</v></c></row></sheetData></worksheet>`,
		`<?xml version="1.0"?><!-- c --><worksheet><sheetData><row><c t="b"><v>1</v></c><![CDATA[x]]></row></sheetData></worksheet>`,
		`<x:worksheet><x:sheetData><x:row r="3"><x:c r="XFD3"><x:v>1</x:v></x:c></x:row></x:sheetData></x:worksheet>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, sheet []byte) {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		parts := map[string]string{"xl/worksheets/sheet1.xml": string(sheet)}
		for name, text := range workbookParts {
			parts[name] = text
		}
		for name, text := range parts {
			w, _ := zw.Create(name)
			io.WriteString(w, text)
		}
		zw.Close()
		readAllFrom(t, b.Bytes(), "fuzz.xlsx", Options{Limits: Limits{MaxCells: 100_000}})
	})
}
