package parse

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// The parsing vectors both parsers must pass (docs/parsing.md, "Vectors").
func TestDelimiterVectors(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "conformance", "parsing", "delimiter.json"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Cases []struct {
			Name      string     `json:"name"`
			Input     string     `json:"input"`
			InputHex  string     `json:"input_hex"`
			Delimiter string     `json:"delimiter"`
			Linebreak string     `json:"linebreak"`
			Encoding  string     `json:"encoding"`
			Rows      [][]string `json:"rows"`
			Skipped   *int64     `json:"skipped"`
			Cut       bool       `json:"cut"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Cases) == 0 {
		t.Fatal("no cases")
	}
	for _, c := range file.Cases {
		t.Run(c.Name, func(t *testing.T) {
			input := []byte(c.Input)
			if c.InputHex != "" {
				if input, err = hex.DecodeString(c.InputHex); err != nil {
					t.Fatal(err)
				}
			}
			if c.Input != "" || c.Cut {
				if got := sniffDialect([]byte(c.Input), c.Cut).delimiter; got != c.Delimiter {
					t.Errorf("detector: delimiter %q, want %q", got, c.Delimiter)
				}
			}
			if c.Cut {
				return
			}
			rows, settings, skipped, err := readAll(input, "vector.csv", Options{})
			if c.Rows == nil && len(input) > 0 && (errors.Is(err, ErrEmpty)) {
				return
			}
			if err != nil {
				if len(c.Rows) == 0 && errors.Is(err, ErrEmpty) {
					return
				}
				t.Fatal(err)
			}
			if settings.Delimiter != c.Delimiter {
				t.Errorf("delimiter %q, want %q", settings.Delimiter, c.Delimiter)
			}
			if c.Linebreak != "" && settings.Linebreak != c.Linebreak {
				t.Errorf("linebreak %q, want %q", settings.Linebreak, c.Linebreak)
			}
			if c.Encoding != "" && settings.Encoding != c.Encoding {
				t.Errorf("encoding %q, want %q", settings.Encoding, c.Encoding)
			}
			if c.Rows != nil && !reflect.DeepEqual(rows, c.Rows) {
				t.Errorf("rows %q, want %q", rows, c.Rows)
			}
			if c.Skipped != nil && skipped != *c.Skipped {
				t.Errorf("skipped %d, want %d", skipped, *c.Skipped)
			}
		})
	}
}

// readAll parses a whole file held in memory.
func readAll(data []byte, name string, opts Options) ([][]string, Settings, int64, error) {
	r, err := Open(strings.NewReader(string(data)), int64(len(data)), name, opts)
	if err != nil {
		return nil, Settings{}, 0, err
	}
	defer r.Close()
	var rows [][]string
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return rows, r.Settings(), r.Skipped(), nil
		}
		if err != nil {
			return rows, r.Settings(), r.Skipped(), err
		}
		rows = append(rows, slices.Clone(row))
	}
}
