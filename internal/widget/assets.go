package widget

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"path"
	"strings"
)

//go:embed dist
var distFS embed.FS

// assetPrefix is where assets are served; their names carry a content hash,
// so they can be cached forever.
const assetPrefix = "/widget/assets/"

// asset is one built file, kept both plain and gzip-compressed.
type asset struct {
	contentType string
	plain       []byte
	gzipped     []byte
}

// assets indexes the embedded build by logical name ("app.js") and by
// checksummed name ("app.1a2b3c4d5e6f.js").
type assets struct {
	byHashed map[string]*asset
	url      map[string]string
	loader   *asset
}

func mustLoadAssets() *assets {
	a, err := loadAssets(distFS)
	if err != nil {
		// The build is committed and checked in CI; a broken embed is a
		// programming error found by the first test.
		panic(fmt.Sprintf("widget: load embedded assets: %v", err))
	}
	return a
}

func loadAssets(fsys fs.FS) (*assets, error) {
	a := &assets{byHashed: map[string]*asset{}, url: map[string]string{}}
	entries, err := fs.ReadDir(fsys, "dist")
	if err != nil {
		return nil, fmt.Errorf("read dist: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		name := e.Name()
		data, err := fs.ReadFile(fsys, "dist/"+name)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		var gz bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		if _, err := zw.Write(data); err != nil {
			return nil, fmt.Errorf("gzip %s: %w", name, err)
		}
		if err := zw.Close(); err != nil {
			return nil, fmt.Errorf("gzip %s: %w", name, err)
		}
		ext := path.Ext(name)
		ct := mime.TypeByExtension(ext)
		if ext == ".js" {
			ct = "text/javascript; charset=utf-8"
		}
		item := &asset{contentType: ct, plain: data, gzipped: gz.Bytes()}
		sum := sha256.Sum256(data)
		hashed := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:6]) + ext
		a.byHashed[hashed] = item
		a.url[name] = assetPrefix + hashed
		if name == "embed.js" {
			a.loader = item
		}
	}
	for _, required := range []string{"embed.js", "app.js", "app.css", "worker.js", "demo.js"} {
		if _, ok := a.url[required]; !ok {
			return nil, fmt.Errorf("dist has no %s", required)
		}
	}
	return a, nil
}
