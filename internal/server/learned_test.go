package server_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/intakehq/intake/internal/server/servertest"
	"github.com/intakehq/intake/internal/widget"
)

type learnedList struct {
	Learned []struct{ Header, Key string } `json:"learned"`
}

// TestLearnedMappings: a completed import's learned pairs are kept in the
// matcher's normalised form, only for keys of the template, only while the
// importer learns; an import refused at completion teaches nothing; the
// headers' text never reaches the logs; DELETE clears the list. On both
// backends.
func TestLearnedMappings(t *testing.T) {
	t.Parallel()
	for _, pg := range []bool{false, true} {
		t.Run(fmt.Sprintf("postgres=%v", pg), func(t *testing.T) {
			t.Parallel()
			env := servertest.Start(t, servertest.Options{Postgres: pg})
			im := createImporter(t, env, env.APIKey, nil)
			learned := func() learnedList {
				var l learnedList
				if code := env.Do(t, "GET", "/api/v1/importers/"+im.ID+"/learned", env.APIKey, nil, &l); code != http.StatusOK {
					t.Fatalf("GET learned: %d", code)
				}
				return l
			}
			var got map[string]any
			env.Do(t, "GET", "/api/v1/importers/"+im.ID, env.APIKey, nil, &got)
			if got["learn_mappings"] != true {
				t.Fatalf("learn_mappings defaults to %v, want true", got["learn_mappings"])
			}
			body := `{"chunks":1,"rows":1,"learned":[{"header":"Kunden-Name Zqx","key":"name"},{"header":"E-Mail Zqx","key":"nope"}]}`
			// Refused at completion (a chunk missing): nothing learned.
			up := createUpload(t, env, im.Key, []string{"name", "email", "amount"}, 1)
			if code, _ := complete(t, env, up, body); code != http.StatusConflict {
				t.Fatalf("completion without its chunk: %d", code)
			}
			if l := learned(); len(l.Learned) != 0 {
				t.Fatalf("a refused completion taught %+v", l.Learned)
			}
			putChunk(t, env, up, 0, chunkBody(0, makeRows(1, "lm")), false)
			// More than the widget ever sends: refused, and the import stays open.
			many := `{"chunks":1,"rows":1,"learned":[` + strings.Repeat(`{"header":"h","key":"name"},`, 100) + `{"header":"h","key":"name"}]}`
			if code, resp := complete(t, env, up, many); code != http.StatusBadRequest || !strings.Contains(resp, "bad_learned") {
				t.Fatalf("101 learned pairs: %d %s", code, resp)
			}
			if code, resp := complete(t, env, up, body); code != http.StatusOK {
				t.Fatalf("complete: %d %s", code, resp)
			}
			l := learned()
			if len(l.Learned) != 1 || l.Learned[0].Header != "kunden name zqx" || l.Learned[0].Key != "name" {
				t.Fatalf("learned %+v, want only kunden name zqx → name", l.Learned)
			}
			// The importer page hands the learned list to the widget.
			// The public page carries the learned header as its keyed hash
			// only: the next end user cannot read it.
			if page := importerPage(t, env, im.Key); !strings.Contains(page, widget.LearnedHash(im.Key, "kunden name zqx")) || strings.Contains(page, "kunden name zqx") {
				t.Fatal("the importer page's config lacks the learned hash, or holds the header's text")
			}
			if strings.Contains(strings.ToLower(env.Logs.String()), "zqx") {
				t.Fatal("a learned header reached the logs")
			}
			// Switched off: nothing more is learned.
			env.Do(t, "PATCH", "/api/v1/importers/"+im.ID, env.APIKey, map[string]any{"learn_mappings": false}, &got)
			if got["learn_mappings"] != false {
				t.Fatalf("patched learn_mappings = %v", got["learn_mappings"])
			}
			up = createUpload(t, env, im.Key, []string{"name", "email", "amount"}, 1)
			putChunk(t, env, up, 0, chunkBody(0, makeRows(1, "lm2")), false)
			if code, resp := complete(t, env, up, `{"chunks":1,"rows":1,"learned":[{"header":"Mail","key":"email"}]}`); code != http.StatusOK {
				t.Fatalf("complete: %d %s", code, resp)
			}
			if l := learned(); len(l.Learned) != 1 {
				t.Fatalf("learned while switched off: %+v", l.Learned)
			}
			if page := importerPage(t, env, im.Key); strings.Contains(page, widget.LearnedHash(im.Key, "kunden name zqx")) {
				t.Fatal("switched off, the importer page still proposes learned mappings")
			}
			if code := env.Do(t, "DELETE", "/api/v1/importers/"+im.ID+"/learned", env.APIKey, nil, nil); code != http.StatusNoContent {
				t.Fatalf("DELETE learned: %d", code)
			}
			if l := learned(); len(l.Learned) != 0 {
				t.Fatalf("after DELETE: %+v", l.Learned)
			}
		})
	}
}

func importerPage(t *testing.T, env *servertest.Env, key string) string {
	t.Helper()
	resp, err := http.Get(env.URL + "/i/" + key)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("importer page: %d", resp.StatusCode)
	}
	return string(b)
}
