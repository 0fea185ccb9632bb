package vault

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestHashiVaultMasterKey wraps and unwraps data keys through the
// hashivault:// keeper and HashiCorp's own client, against a loopback server
// speaking Vault's transit API (Vault itself cannot run here). The wrapped
// key is transit ciphertext, the token reaches the server, and a key wrapped
// under another transit key does not unwrap.
func TestHashiVaultMasterKey(t *testing.T) {
	const token = "intake-test-token"
	transit := newTransitServer(t, token)
	t.Setenv("VAULT_ADDR", transit.URL)
	t.Setenv("VAULT_TOKEN", token)
	ctx := context.Background()
	v, err := Open(ctx, "hashivault://intake-master", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	k, wrapped, err := v.NewDataKey(ctx, "imt_h")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(wrapped, []byte("vault:v1:")) {
		t.Fatalf("wrapped key %q is not transit ciphertext", wrapped)
	}
	plain := []byte("rows sealed under a Vault-wrapped key")
	sealed := k.Seal(nil, PurposeChunk, 0, plain)
	v.Forget("imt_h")
	k2, err := v.DataKey(ctx, "imt_h", wrapped)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := k2.Open(nil, PurposeChunk, 0, sealed); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("open after unwrapping through Vault = %q, %v", got, err)
	}
	// Open wrapped and unwrapped a probe; then one data key each way.
	if e, d := transit.count("encrypt/intake-master"), transit.count("decrypt/intake-master"); e != 2 || d != 2 {
		t.Fatalf("transit calls: %d encrypt, %d decrypt; want 2 and 2", e, d)
	}

	other, err := Open(ctx, "hashivault://other-key", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// A key the token may not use stops Open, not the first upload.
	if _, err := Open(ctx, "hashivault://"+forbiddenKey, t.TempDir()); err == nil || !strings.Contains(err.Error(), "probe") {
		t.Fatalf("open with a key Vault refuses: %v", err)
	}
	_, foreign, err := other.NewDataKey(ctx, "imt_h")
	if err != nil {
		t.Fatal(err)
	}
	v.Forget("imt_h")
	if _, err := v.DataKey(ctx, "imt_h", foreign); err == nil {
		t.Fatal("a data key wrapped under another transit key unwrapped")
	}
}

// forbiddenKey is a transit key the test token may not use.
const forbiddenKey = "not-for-intake"

// transitServer is the part of Vault's transit secrets engine the keeper
// uses: POST /v1/transit/encrypt/{key} and /v1/transit/decrypt/{key}, with
// TestHashiVaultTokenOption: the token given to Open (from
// INTAKE_VAULT_TOKEN_FILE) reaches Vault when VAULT_TOKEN is not set, and a
// wrong one fails the probe at start.
func TestHashiVaultTokenOption(t *testing.T) {
	const token = "intake-file-token"
	transit := newTransitServer(t, token)
	t.Setenv("VAULT_ADDR", transit.URL)
	t.Setenv("VAULT_TOKEN", "")
	t.Setenv("VAULT_SERVER_TOKEN", "")
	ctx := context.Background()
	v, err := Open(ctx, "hashivault://intake-master", t.TempDir(), WithVaultToken(token))
	if err != nil {
		t.Fatal(err)
	}
	v.Close()
	if _, err := Open(ctx, "hashivault://intake-master", t.TempDir(), WithVaultToken("wrong-token")); err == nil {
		t.Fatal("a wrong token opened the master key")
	}
}

// one AES-256-GCM key per name (the name is the additional data).
type transitServer struct {
	*httptest.Server
	aead  cipher.AEAD
	mu    sync.Mutex
	calls map[string]int
}

func newTransitServer(t *testing.T, token string) *transitServer {
	key := make([]byte, 32)
	rand.Read(key)
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	s := &transitServer{aead: aead, calls: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Vault-Token") != token || strings.HasSuffix(r.URL.Path, "/"+forbiddenKey) {
			vaultError(w, http.StatusForbidden, "permission denied")
			return
		}
		op, name, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/v1/transit/"), "/")
		var in struct{ Plaintext, Ciphertext string }
		if !ok || r.Method != http.MethodPut && r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&in) != nil {
			vaultError(w, http.StatusBadRequest, "bad request")
			return
		}
		s.mu.Lock()
		s.calls[op+"/"+name]++
		s.mu.Unlock()
		switch op {
		case "encrypt":
			plain, err := base64.StdEncoding.DecodeString(in.Plaintext)
			if err != nil {
				vaultError(w, http.StatusBadRequest, "plaintext is not base64")
				return
			}
			nonce := make([]byte, aead.NonceSize())
			rand.Read(nonce)
			sealed := aead.Seal(nonce, nonce, plain, []byte(name))
			json.NewEncoder(w).Encode(map[string]any{"data": map[string]string{"ciphertext": "vault:v1:" + base64.StdEncoding.EncodeToString(sealed)}})
		case "decrypt":
			sealed, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(in.Ciphertext, "vault:v1:"))
			if err != nil || len(sealed) < aead.NonceSize() {
				vaultError(w, http.StatusBadRequest, "invalid ciphertext")
				return
			}
			plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], []byte(name))
			if err != nil {
				vaultError(w, http.StatusBadRequest, "cipher: message authentication failed")
				return
			}
			json.NewEncoder(w).Encode(map[string]any{"data": map[string]string{"plaintext": base64.StdEncoding.EncodeToString(plain)}})
		default:
			vaultError(w, http.StatusNotFound, "no handler for route")
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *transitServer) count(call string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[call]
}

func vaultError(w http.ResponseWriter, code int, msg string) {
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]any{"errors": []string{msg}})
}
