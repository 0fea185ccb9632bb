package phone

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"testing"
	"unicode/utf8"
)

// vectorsFile holds numbers from the differential test's generator with the
// library's answers, for the widget's fast path to be checked against the
// server's oracle (web/widget/test/phone.test.ts; docs/phone.md).
const vectorsFile = "../../testdata/conformance/phone/vectors.json"

// vectorsN keeps the file under 2 MB.
const vectorsN = 50_000

// writeVectors is the file's exact content: the table's source, then one
// [input, default region, E.164 or null] a line.
func writeVectors(c *corpus) ([]byte, error) {
	var head struct {
		Source string `json:"source"`
	}
	if err := json.Unmarshal(tableJSON, &head); err != nil {
		return nil, err
	}
	src, err := json.Marshal(head.Source)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(`{"source":` + string(src) + ",\n\"vectors\":[\n")
	rng := rand.New(rand.NewPCG(2026, 14))
	for i := 0; i < vectorsN; {
		v, def := c.number(rng)
		if !utf8.ValidString(v) {
			continue // JSON would change it
		}
		var want any
		if out, ok := c.parsers[def].Library(v); ok {
			want = out
		}
		line, err := json.Marshal([]any{v, def, want})
		if err != nil {
			return nil, err
		}
		if i > 0 {
			b.WriteString(",\n")
		}
		b.Write(line)
		i++
	}
	b.WriteString("\n]}\n")
	return b.Bytes(), nil
}

// TestVectorsAreGenerated fails when the committed vectors are not the
// library's answers for the pinned metadata; INTAKE_PHONE_VECTORS_WRITE=1
// rewrites them (after a phonenumbers upgrade, with go generate).
func TestVectorsAreGenerated(t *testing.T) {
	c, err := loadCorpus()
	if err != nil {
		t.Fatal(err)
	}
	want, err := writeVectors(c)
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("INTAKE_PHONE_VECTORS_WRITE") == "1" {
		if err := os.WriteFile(vectorsFile, want, 0o644); err != nil { //nolint:gosec // a committed test file
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(vectorsFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale: run INTAKE_PHONE_VECTORS_WRITE=1 go test -run TestVectorsAreGenerated ./internal/phone", vectorsFile)
	}
}
