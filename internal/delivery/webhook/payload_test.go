package webhook

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/intakehq/intake/internal/delivery/destination"
	"github.com/intakehq/intake/internal/rows"
)

func ptr(s string) *string { return &s }

func TestAppendBatchIsTheDocumentedJSON(t *testing.T) {
	t.Parallel()
	imp := destination.Import{ID: "imp_1", Importer: "imp_pub", Columns: []string{"email", "name", `we"ird`}, Metadata: json.RawMessage(`{"user":42}`)}
	b := rows.Batch{Index: 2, FirstRow: 2000, Rows: [][]*string{
		{ptr("a@example.com"), ptr("Zoë \"Z\" O'Neil\n\t\\"), nil},
		{ptr("x"), nil}, // short row: missing cells are null
		{ptr("y"), ptr("z"), ptr("w"), ptr("extra")}, // long row: extra cell dropped
	}}
	var got map[string]any
	if err := json.Unmarshal(NewEncoder(imp).AppendBatch(nil, b), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"type": "import.batch", "import_id": "imp_1", "importer": "imp_pub",
		"batch": map[string]any{"index": 2.0, "count": 3.0, "first_row": 2000.0, "rows": []any{
			map[string]any{"email": "a@example.com", "name": "Zoë \"Z\" O'Neil\n\t\\", `we"ird`: nil},
			map[string]any{"email": "x", "name": nil, `we"ird`: nil},
			map[string]any{"email": "y", "name": "z", `we"ird`: "w"},
		}},
		"metadata": map[string]any{"user": 42.0},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("payload\n got %v\nwant %v", got, want)
	}
}

func TestAppendCompletedAndBadMetadata(t *testing.T) {
	t.Parallel()
	e := NewEncoder(destination.Import{ID: "i", Importer: "p", Metadata: json.RawMessage(`{not json`)})
	var got map[string]any
	if err := json.Unmarshal(e.AppendCompleted(nil, 1500, 2), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"type": "import.completed", "import_id": "i", "importer": "p", "rows": 1500.0, "batches": 2.0, "metadata": nil}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v want %v", got, want)
	}
	m1, m2 := TestMessage("imp_x", "dst_1"), TestMessage("imp_x", "dst_1")
	if !json.Valid(m1.Body) || m1.ID == m2.ID || m1.Batch != -1 {
		t.Fatalf("test messages %+v %+v", m1, m2)
	}
}
