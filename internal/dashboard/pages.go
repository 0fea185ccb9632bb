package dashboard

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"strings"
	"time"
)

// parsePages parses each page template together with the layout.
func parsePages(sf *staticFiles) (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"static": sf.URL,
		"when": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format("2006-01-02 15:04 UTC")
		},
		"whenp": func(t *time.Time) string {
			if t == nil {
				return ""
			}
			return t.UTC().Format("2006-01-02 15:04 UTC")
		},
		"add": func(a, b int64) int64 { return a + b },
		"json": func(v any) (string, error) {
			b, err := json.Marshal(v)
			return string(b), err
		},
		"size": func(n int64) string {
			if n < 1<<20 {
				return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
			}
			return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
		},
	}
	layout, err := template.New("layout").Funcs(funcs).ParseFS(embedded, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("dashboard layout: %w", err)
	}
	names, err := fs.Glob(embedded, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		if n == "templates/layout.html" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(embedded, n)
		if err != nil {
			return nil, fmt.Errorf("dashboard page %s: %w", n, err)
		}
		pages[strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")] = t
	}
	return pages, nil
}
