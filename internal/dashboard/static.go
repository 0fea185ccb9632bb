package dashboard

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed static templates
var embedded embed.FS

// staticFiles serves the embedded CSS and scripts under names that carry a
// hash of their content (app.3f9c0a1b.css), cached for a year: a new build
// changes the name, so no browser keeps a stale file.
type staticFiles struct {
	byURL map[string][]byte // hashed name → content
	url   map[string]string // plain name → /static/hashed name
}

func loadStatic() (*staticFiles, error) {
	sf := &staticFiles{byURL: map[string][]byte{}, url: map[string]string{}}
	entries, err := fs.ReadDir(embedded, "static")
	if err != nil {
		return nil, fmt.Errorf("dashboard static: %w", err)
	}
	for _, e := range entries {
		b, err := embedded.ReadFile("static/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("dashboard static: %w", err)
		}
		sum := sha256.Sum256(b)
		ext := path.Ext(e.Name())
		hashed := strings.TrimSuffix(e.Name(), ext) + "." + hex.EncodeToString(sum[:4]) + ext
		sf.byURL[hashed] = b
		sf.url[e.Name()] = "/static/" + hashed
	}
	return sf, nil
}

// URL is the checksummed URL of a static file, for templates.
func (sf *staticFiles) URL(name string) (string, error) {
	u, ok := sf.url[name]
	if !ok {
		return "", fmt.Errorf("no static file %q", name)
	}
	return u, nil
}

func (sf *staticFiles) serve(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	b, ok := sf.byURL[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", mime.TypeByExtension(path.Ext(name)))
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Write(b)
}
