package server_test

import (
	"net/http"
	"testing"

	"github.com/intakehq/intake/internal/server/servertest"
)

// TestDataDeleteOfAnotherOrgsImporter: "delete all data" of one importer is
// 404 for an importer of another organization (it answered 200, having
// shredded nothing, which told the caller the id exists), and leaves its
// rows alone; the owner's call still purges them.
func TestDataDeleteOfAnotherOrgsImporter(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	_, keyB := env.NewOrg(t, "org-b")
	im := createImporter(t, env, env.APIKey, nil)
	up := createUpload(t, env, im.Key, []string{"name", "email", "amount"}, 1)
	putChunk(t, env, up, 0, chunkBody(0, makeRows(1, "del")), false)
	for _, importer := range []string{im.ID, "ipr_doesnotexist"} {
		if code := env.Do(t, "DELETE", "/api/v1/data?importer="+importer, keyB, nil, nil); code != http.StatusNotFound {
			t.Errorf("org B deletes the data of importer %s: %d, want 404", importer, code)
		}
	}
	if code := env.Do(t, "GET", "/api/v1/imports/"+up.ImportID+"/rows", env.APIKey, nil, nil); code != http.StatusOK {
		t.Fatalf("org A's rows after org B's call: %d", code)
	}
	var res struct{ Imports int }
	if code := env.Do(t, "DELETE", "/api/v1/data?importer="+im.ID, env.APIKey, nil, &res); code != http.StatusOK || res.Imports != 1 {
		t.Fatalf("org A deletes its importer's data: %d, %d imports", code, res.Imports)
	}
}
