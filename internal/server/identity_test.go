package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/intakehq/intake/internal/server/servertest"
	"github.com/intakehq/intake/internal/vault"
)

// TestSignedEndUsers: an importer that requires signed end users refuses
// uploads without an identity token, or with one expired, tampered with,
// signed with another secret or after a rotation (401, one code each), and
// takes a valid one, whose user and metadata become the import's (the
// unsigned ones sent beside it are dropped). The identity secret is
// returned once, never by a read.
func TestSignedEndUsers(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	var im struct {
		importer
		RequireIdentity bool   `json:"require_identity"`
		IdentitySecret  string `json:"identity_secret"`
	}
	body := map[string]any{"name": "Signed", "template": json.RawMessage(testTemplate), "require_identity": true}
	if code := env.Do(t, "POST", "/api/v1/importers", env.APIKey, body, &im); code != http.StatusCreated || !im.RequireIdentity ||
		!strings.HasPrefix(im.IdentitySecret, "isk_") {
		t.Fatalf("create: %d, require %v, secret %q", code, im.RequireIdentity, im.IdentitySecret)
	}
	var read map[string]any
	env.Do(t, "GET", "/api/v1/importers/"+im.ID, env.APIKey, nil, &read)
	if _, ok := read["identity_secret"]; ok || read["require_identity"] != true {
		t.Fatalf("a read shows the secret or lost the setting: %v", read)
	}

	sign := func(secret string, claims jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(secret))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	exp := time.Now().Add(5 * time.Minute).Unix()
	valid := sign(im.IdentitySecret, jwt.MapClaims{"user": map[string]any{"id": "u_42"}, "metadata": map[string]any{"account": "acme"}, "exp": exp})
	parts := strings.Split(valid, ".")
	forged := sign(im.IdentitySecret, jwt.MapClaims{"user": map[string]any{"id": "u_1"}, "exp": exp})
	tampered := parts[0] + "." + strings.Split(forged, ".")[1] + "." + parts[2]
	create := func(extra map[string]any) (int, string, string) {
		t.Helper()
		req := map[string]any{"importer": im.Key, "columns": []string{"name"}, "source": map[string]any{"format": "csv", "size_bytes": 10}, "rows": 1}
		for k, v := range extra {
			req[k] = v
		}
		var out struct {
			ImportID string `json:"import_id"`
			Error    struct{ Code, Message string }
		}
		code := env.Do(t, "POST", "/api/v1/uploads", "", req, &out)
		return code, out.Error.Code, out.ImportID
	}
	for _, tt := range []struct {
		name, token, code string
	}{
		{"no identity", "", "identity_required"},
		{"expired", sign(im.IdentitySecret, jwt.MapClaims{"user": "u_42", "exp": time.Now().Add(-time.Hour).Unix()}), "identity_expired"},
		{"tampered", tampered, "identity_invalid"},
		{"another secret", sign("isk_not-this-importers", jwt.MapClaims{"user": "u_42", "exp": exp}), "identity_invalid"},
		{"no exp", sign(im.IdentitySecret, jwt.MapClaims{"user": "u_42"}), "identity_invalid"},
	} {
		extra := map[string]any{"user": map[string]any{"id": "unsigned"}}
		if tt.token != "" {
			extra["identity"] = tt.token
		}
		if status, code, _ := create(extra); status != http.StatusUnauthorized || code != tt.code {
			t.Errorf("%s: %d %s, want 401 %s", tt.name, status, code, tt.code)
		}
	}

	status, code, importID := create(map[string]any{"identity": valid, "user": map[string]any{"id": "unsigned"}, "metadata": map[string]any{"x": 1}})
	if status != http.StatusCreated {
		t.Fatalf("valid identity: %d %s", status, code)
	}
	if got := importContext(t, env, importID); got != `{"metadata":{"account":"acme"},"user":{"id":"u_42"}}` {
		t.Errorf("the import's end user: %s", got)
	}

	// A rotation: the old secret's tokens are refused, the new one's taken.
	var rotated struct {
		IdentitySecret string `json:"identity_secret"`
	}
	if code := env.Do(t, "PATCH", "/api/v1/importers/"+im.ID, env.APIKey, map[string]any{"rotate_identity_secret": true}, &rotated); code != http.StatusOK ||
		!strings.HasPrefix(rotated.IdentitySecret, "isk_") || rotated.IdentitySecret == im.IdentitySecret {
		t.Fatalf("rotate: %d, %q", code, rotated.IdentitySecret)
	}
	if status, code, _ := create(map[string]any{"identity": valid}); status != http.StatusUnauthorized || code != "identity_invalid" {
		t.Errorf("a token of the old secret after rotation: %d %s", status, code)
	}
	if status, code, _ := create(map[string]any{"identity": sign(rotated.IdentitySecret, jwt.MapClaims{"user": "u_42", "exp": exp})}); status != http.StatusCreated {
		t.Errorf("a token of the new secret: %d %s", status, code)
	}

	// Turned off: unsigned uploads are taken again, a token is still checked.
	env.Do(t, "PATCH", "/api/v1/importers/"+im.ID, env.APIKey, map[string]any{"require_identity": false}, nil)
	if status, code, _ := create(nil); status != http.StatusCreated {
		t.Errorf("identity not required, none sent: %d %s", status, code)
	}
	if status, code, _ := create(map[string]any{"identity": tampered}); status != http.StatusUnauthorized || code != "identity_invalid" {
		t.Errorf("identity not required, a bad one sent: %d %s", status, code)
	}
	plain := createImporter(t, env, env.APIKey, nil)
	im.Key = plain.Key
	if status, code, _ := create(map[string]any{"identity": valid}); status != http.StatusBadRequest || code != "identity_not_configured" {
		t.Errorf("a token to an importer without a secret: %d %s", status, code)
	}
	// Nothing of a token is logged.
	if logs := env.Logs.String(); strings.Contains(logs, parts[2]) || strings.Contains(logs, "u_42") || strings.Contains(logs, "acme") {
		t.Error("the logs show an identity token or what it signs")
	}
}

// importContext opens the import's sealed end-user context (user and
// metadata) with its data key.
func importContext(t *testing.T, env *servertest.Env, importID string) string {
	t.Helper()
	ctx := context.Background()
	rec, err := env.Server.Store.ImportByID(ctx, importID)
	if err != nil {
		t.Fatal(err)
	}
	key, err := env.Server.Vault.DataKey(ctx, rec.ID, rec.WrappedKey)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := key.Open(nil, vault.PurposeContext, 0, rec.SealedContext)
	if err != nil {
		t.Fatal(err)
	}
	return string(plain)
}
