package fileimport_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/intakehq/intake/internal/fileimport"
	"github.com/intakehq/intake/internal/mapping"
	"github.com/intakehq/intake/internal/server/servertest"
	"github.com/intakehq/intake/internal/store"
	"github.com/intakehq/intake/internal/template"
)

// TestPlanLearnedAsWidget: the automatic plan with learned mappings maps
// every header of the learned-mapping vectors as the vectors say, which
// the widget's matcher passes too (web/widget's conformance run): the same
// answers for the same headers.
func TestPlanLearnedAsWidget(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../testdata/conformance/mapping/learned.json")
	if err != nil {
		t.Fatal(err)
	}
	var suite struct {
		Template json.RawMessage `json:"template"`
		Cases    []struct {
			Name    string                `json:"name"`
			Headers []string              `json:"headers"`
			Learned []mapping.LearnedPair `json:"learned"`
			Want    []*string             `json:"want"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(data, &suite); err != nil {
		t.Fatal(err)
	}
	tpl, err := template.Parse(suite.Template)
	if err != nil {
		t.Fatal(err)
	}
	one := 1
	for _, c := range suite.Cases {
		// Every proposal kept, however weak, to compare them all.
		p, err := fileimport.MakePlan(tpl, [][]string{c.Headers}, fileimport.Options{HeaderRow: &one, MinConfidence: 1e-9}, c.Learned)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		want := make([]int, len(tpl.Columns))
		for j, col := range tpl.Columns {
			want[j] = slices.IndexFunc(c.Want, func(k *string) bool { return k != nil && *k == col.Key })
		}
		if !slices.Equal(p.Sources, want) {
			t.Errorf("%s: sources %v, want %v", c.Name, p.Sources, want)
		}
	}
}

// TestFileUsesLearned: a file sent to the API is matched with its
// importer's learned mappings, from the store, as the widget's file would
// be: a header only an end user's earlier choice maps fills its column;
// an importer that does not learn gives the matching none (the widget is
// given none either), and the file's required column is then unmapped.
func TestFileUsesLearned(t *testing.T) {
	t.Parallel()
	for _, pg := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) {
			t.Parallel()
			env := servertest.Start(t, servertest.Options{Postgres: pg})
			env.StartJobs(t)
			ctx := context.Background()
			file := strings.Replace(csvRows(20, nil), "Identifier,", "Feld Z,", 1)
			for _, learn := range []bool{true, false} {
				imp := newImporter(t, env, map[string]any{"learn_mappings": learn})
				if _, err := env.Server.Store.Learn(ctx, imp.ID, []store.LearnedMapping{
					{Header: mapping.Normalise("Feld Z"), Key: "id"},
					{Header: mapping.Normalise("Name"), Key: "gone"}, // not a key of the template: ignored
				}); err != nil {
					t.Fatal(err)
				}
				code, answer := postFile(t, env, imp.ID, "name=people.csv", strings.NewReader(file), "text/csv")
				if code != http.StatusAccepted {
					t.Fatalf("post file: %d %s", code, answer)
				}
				st := wait(t, env, importID(t, answer))
				if !learn {
					if st.File.State != "failed" || st.File.FailureCode != "unmapped_required" {
						t.Fatalf("an importer that does not learn: %+v", *st.File)
					}
					continue
				}
				if st.File.State != "completed" || st.Rows != 20 {
					t.Fatalf("learned header: %+v %+v", st, *st.File)
				}
				code, page := get(t, env, "/api/v1/imports/"+st.ID+"/rows?offset=19&limit=1")
				if code != http.StatusOK || !strings.Contains(page, `["19","user19@example.com","`+canary+` 19"]`) {
					t.Fatalf("stored rows: %d %s", code, page)
				}
			}
		})
	}
}
