package widget

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
)

// fakeUploads implements the upload API in memory, strictly enough to catch a
// client that breaks the contract: bearer token, gzip'd JSON, idempotent
// chunks (same body 200, different body 409), first_row continuity, counts
// at completion. It stands in for internal/api until the browser tests run
// against the real server.
type fakeUploads struct {
	mu            sync.Mutex
	maxChunkBytes int
	imports       map[string]*fakeImport
	created       int
	// stopAfter, when > 0, makes the server "stop" once it holds that many
	// chunks: every further chunk gets 503 and is not stored.
	stopAfter int
}

type fakeImport struct {
	Importer  string         `json:"importer"`
	Columns   []string       `json:"columns"`
	Source    map[string]any `json:"source"`
	Rows      int            `json:"rows"`
	User      map[string]any `json:"user"`
	Metadata  map[string]any `json:"metadata"`
	token     string
	chunks    map[int]fakeChunk
	completed bool
}

type fakeChunk struct {
	FirstRow int         `json:"first_row"`
	Rows     [][]*string `json:"rows"`
}

func newFakeUploads(maxChunkBytes int) *fakeUploads {
	return &fakeUploads{maxChunkBytes: maxChunkBytes, imports: map[string]*fakeImport{}}
}

func apiError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":{"code":%q,"message":%q}}`, code, code)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeUploads) stopAfterChunks(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopAfter = n
}

func (f *fakeUploads) register(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v1/uploads", f.create)
	mux.HandleFunc("PUT /api/v1/uploads/{id}/chunks/{n}", f.putChunk)
	mux.HandleFunc("GET /api/v1/uploads/{id}", f.status)
	mux.HandleFunc("POST /api/v1/uploads/{id}/complete", f.complete)
}

func (f *fakeUploads) create(w http.ResponseWriter, r *http.Request) {
	var imp fakeImport
	if err := json.NewDecoder(r.Body).Decode(&imp); err != nil || imp.Importer == "" || len(imp.Columns) == 0 {
		apiError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	f.mu.Lock()
	f.created++
	id := "up-" + strconv.Itoa(f.created)
	imp.token = "tok-" + strconv.Itoa(f.created)
	imp.chunks = map[int]fakeChunk{}
	f.imports[id] = &imp
	f.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{"import_id": id, "upload_token": imp.token, "max_chunk_bytes": f.maxChunkBytes})
}

func (f *fakeUploads) putChunk(w http.ResponseWriter, r *http.Request) {
	imp, ok := f.authorized(w, r)
	if !ok {
		return
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 0 || r.Header.Get("Content-Encoding") != "gzip" || r.Header.Get("Content-Type") != "application/json" {
		apiError(w, http.StatusBadRequest, "invalid_chunk")
		return
	}
	zr, err := gzip.NewReader(r.Body)
	if err != nil {
		apiError(w, http.StatusBadRequest, "invalid_gzip")
		return
	}
	var chunk fakeChunk
	if err := json.NewDecoder(zr).Decode(&chunk); err != nil || len(chunk.Rows) == 0 {
		apiError(w, http.StatusBadRequest, "invalid_chunk")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, seen := imp.chunks[n]; f.stopAfter > 0 && !seen && len(imp.chunks) >= f.stopAfter {
		apiError(w, http.StatusServiceUnavailable, "unavailable")
		return
	}
	for _, row := range chunk.Rows {
		if len(row) != len(imp.Columns) {
			apiError(w, http.StatusBadRequest, "invalid_chunk")
			return
		}
	}
	if prev, ok := imp.chunks[n]; ok {
		a, _ := json.Marshal(prev)
		b, _ := json.Marshal(chunk)
		if string(a) != string(b) {
			apiError(w, http.StatusConflict, "chunk_conflict")
			return
		}
	}
	imp.chunks[n] = chunk
	writeJSON(w, http.StatusOK, map[string]any{"chunk": n})
}

func (f *fakeUploads) status(w http.ResponseWriter, r *http.Request) {
	imp, ok := f.authorized(w, r)
	if !ok {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	chunks, rows := []int{}, 0
	for n, c := range imp.chunks {
		chunks = append(chunks, n)
		rows += len(c.Rows)
	}
	status := "uploading"
	if imp.completed {
		status = "completed"
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": status, "chunks": chunks, "rows_received": rows})
}

func (f *fakeUploads) complete(w http.ResponseWriter, r *http.Request) {
	imp, ok := f.authorized(w, r)
	if !ok {
		return
	}
	var body struct{ Chunks, Rows int }
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		apiError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	next := 0
	for n := range body.Chunks {
		c, ok := imp.chunks[n]
		if !ok || c.FirstRow != next {
			apiError(w, http.StatusConflict, "chunks_missing")
			return
		}
		next += len(c.Rows)
	}
	if next != body.Rows || len(imp.chunks) != body.Chunks || body.Rows != imp.Rows {
		apiError(w, http.StatusConflict, "row_count_mismatch")
		return
	}
	imp.completed = true
	writeJSON(w, http.StatusOK, map[string]any{"status": "completed", "rows": next, "rows_with_errors": 0})
}

func (f *fakeUploads) authorized(w http.ResponseWriter, r *http.Request) (*fakeImport, bool) {
	f.mu.Lock()
	imp, ok := f.imports[r.PathValue("id")]
	f.mu.Unlock()
	if !ok {
		apiError(w, http.StatusNotFound, "not_found")
		return nil, false
	}
	if r.Header.Get("Authorization") != "Bearer "+imp.token {
		apiError(w, http.StatusUnauthorized, "unauthorized")
		return nil, false
	}
	return imp, true
}

// createdCount is how many upload sessions were opened.
func (f *fakeUploads) createdCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.created
}

// storedRows returns the rows of the completed import of importer, as
// objects keyed by column, in row order.
func (f *fakeUploads) storedRows(importer string) ([]map[string]*string, *fakeImport, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, imp := range f.imports {
		if imp.Importer != importer || !imp.completed {
			continue
		}
		var out []map[string]*string
		for n := range len(imp.chunks) {
			for _, row := range imp.chunks[n].Rows {
				obj := map[string]*string{}
				for i, col := range imp.Columns {
					obj[col] = row[i]
				}
				out = append(out, obj)
			}
		}
		return out, imp, nil
	}
	return nil, nil, fmt.Errorf("no completed import for %s", importer)
}
