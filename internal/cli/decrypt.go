package cli

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"

	"filippo.io/age"

	"github.com/intakehq/intake/internal/e2e"
	"github.com/intakehq/intake/internal/rows"
)

// runDecrypt: intake decrypt --identity key.txt [--format jsonl|csv] [FILE|-].
// It turns what an end-to-end encrypted importer hands out (a dashboard or
// API .age bundle, an S3 .age object, a webhook body) back into rows on
// stdout. It runs on the team's side, where the identity is; the server
// never has one.
func runDecrypt(_ context.Context, args []string, s Streams) int {
	fs := flag.NewFlagSet("intake decrypt", flag.ContinueOnError)
	fs.SetOutput(s.Err)
	idPath := fs.String("identity", "", "the age identity file (intake keygen or age-keygen)")
	format := fs.String("format", "jsonl", "output format: jsonl or csv")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	f := rows.Format(*format)
	if *idPath == "" || fs.NArg() > 1 || (f != rows.JSONL && f != rows.CSV) {
		errorf(s, "decrypt: usage: intake decrypt --identity key.txt [--format jsonl|csv] [FILE|-]")
		return exitInvalid
	}
	ids, err := readIdentities(*idPath)
	if err != nil {
		errorf(s, "decrypt: %v", err)
		return exitInvalid
	}
	in := s.In
	if name := fs.Arg(0); name != "" && name != "-" {
		file, err := os.Open(name)
		if err != nil {
			errorf(s, "decrypt: %v", err)
			return exitInvalid
		}
		defer file.Close()
		in = file
	}
	out := bufio.NewWriter(s.Out)
	if err := decryptRows(in, ids, f, out); err != nil {
		errorf(s, "decrypt: %v", err)
		return exitFailure
	}
	if err := out.Flush(); err != nil {
		errorf(s, "decrypt: %v", err)
		return exitFailure
	}
	return exitOK
}

func readIdentities(path string) ([]age.Identity, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ids, err := age.ParseIdentities(f)
	if err != nil {
		return nil, fmt.Errorf("identity %s: %w", path, err)
	}
	return ids, nil
}

// decryptRows writes the rows of every payload in r to w in format f. All
// payloads must name the same columns: they are one import's.
func decryptRows(r io.Reader, ids []age.Identity, f rows.Format, w io.Writer) error {
	var rw rows.RowWriter
	var columns []string
	err := e2e.Payloads(r, func(ct []byte) error {
		c, err := e2e.Open(ct, ids...)
		if err != nil {
			return err
		}
		if rw == nil {
			columns = c.Columns
			if rw, err = rows.NewWriter(f, w, columns); err != nil {
				return err
			}
		} else if !slices.Equal(columns, c.Columns) {
			return fmt.Errorf("payloads of different columns: they are not of one import")
		}
		return rw.WriteRows(c.Rows)
	})
	if err != nil {
		return err
	}
	return rw.Close()
}
