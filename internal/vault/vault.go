// Package vault seals user data at rest. Each import has its own 32-byte data
// key; every chunk is sealed with AES-256-GCM under a fresh random nonce and
// with the import id, the purpose and the chunk number as additional data, so
// a sealed chunk moved to another import or position fails to open. Data keys
// exist outside memory only wrapped by the master key (a local key file or a
// KMS key through gocloud.dev/secrets); destroying the wrapped key makes the
// import unreadable for good (crypto-shredding).
//
// vault never logs keys or plaintext, and its errors never quote either.
package vault

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/hashicorp/vault/api"
	"gocloud.dev/secrets"
	_ "gocloud.dev/secrets/awskms" // awskms:// master keys
	_ "gocloud.dev/secrets/gcpkms" // gcpkms:// master keys
	// hashivault:// master keys: Vault's (or OpenBao's) transit engine at
	// VAULT_ADDR with VAULT_TOKEN (or WithVaultToken).
	"gocloud.dev/secrets/hashivault"
	"gocloud.dev/secrets/localsecrets"
)

// KeySize is the size of data keys and local master keys.
const KeySize = 32

// ErrOpen means sealed data did not authenticate: wrong key, wrong import or
// position, or tampered bytes.
var ErrOpen = errors.New("sealed data failed to authenticate")

// Vault wraps and unwraps data keys with the master key and caches unwrapped
// keys briefly, so that a KMS is not called for every chunk.
type Vault struct {
	keeper *secrets.Keeper
	mu     sync.Mutex
	cache  map[string]*DataKey // by import id; bounded by maxCached
}

const maxCached = 1024

// Open returns a vault whose master key is at keyURL: a gocloud.dev/secrets
// URL (base64key://, awskms://, gcpkms://, hashivault://), or file:///path to a key file
// holding 32 raw bytes or their base64. An empty keyURL means
// dataDir/master.key, created with mode 0600 on first use.
func Open(ctx context.Context, keyURL, dataDir string, opts ...Option) (*Vault, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	var keeper *secrets.Keeper
	switch {
	case keyURL == "":
		key, err := loadOrCreateKeyFile(filepath.Join(dataDir, "master.key"))
		if err != nil {
			return nil, err
		}
		keeper = localsecrets.NewKeeper(key)
	case strings.HasPrefix(keyURL, "file://"):
		u, err := url.Parse(keyURL)
		if err != nil {
			return nil, fmt.Errorf("master key url: %w", err)
		}
		key, err := readKeyFile(u.Path)
		if err != nil {
			return nil, err
		}
		keeper = localsecrets.NewKeeper(key)
	default:
		k, err := openKeeper(ctx, keyURL, o)
		if err != nil {
			return nil, fmt.Errorf("open master key: %w", err)
		}
		// Opening a KMS keeper contacts nothing: wrap and unwrap a probe
		// now, so that a wrong address, key or credential stops the start
		// rather than the first upload.
		if err := probe(ctx, k); err != nil {
			k.Close()
			return nil, fmt.Errorf("master key %s: %w", keyURL, err)
		}
		keeper = k
	}
	return &Vault{keeper: keeper, cache: map[string]*DataKey{}}, nil
}

// Option adjusts how Open reaches a KMS.
type Option func(*options)

type options struct{ vaultToken string }

// WithVaultToken gives the token for a hashivault:// master key, so that
// it can come from a file (INTAKE_VAULT_TOKEN_FILE) rather than only from
// the VAULT_TOKEN variable that the default opener reads. Empty leaves
// the default.
func WithVaultToken(token string) Option { return func(o *options) { o.vaultToken = token } }

// openKeeper opens a gocloud.dev/secrets keeper; a hashivault:// one with
// o's token when it has one (the address and TLS settings still come from
// Vault's own VAULT_ADDR, VAULT_CACERT… variables).
func openKeeper(ctx context.Context, keyURL string, o options) (*secrets.Keeper, error) {
	if o.vaultToken == "" || !strings.HasPrefix(keyURL, hashivault.Scheme+"://") {
		return secrets.OpenKeeper(ctx, keyURL)
	}
	u, err := url.Parse(keyURL)
	if err != nil {
		return nil, fmt.Errorf("master key url: %w", err)
	}
	cfg := api.DefaultConfig()
	if cfg.Error != nil {
		return nil, fmt.Errorf("vault client settings: %w", cfg.Error)
	}
	if addr := os.Getenv("VAULT_SERVER_URL"); addr != "" { // as the default opener
		cfg.Address = addr
	}
	client, err := api.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("vault client: %w", err)
	}
	client.SetToken(o.vaultToken)
	return (&hashivault.URLOpener{Client: client}).OpenKeeperURL(ctx, u)
}

func probe(ctx context.Context, k *secrets.Keeper) error {
	plain := make([]byte, KeySize)
	rand.Read(plain)
	wrapped, err := k.Encrypt(ctx, plain)
	if err != nil {
		return fmt.Errorf("wrap a probe key: %w", err)
	}
	got, err := k.Decrypt(ctx, wrapped)
	if err != nil {
		return fmt.Errorf("unwrap a probe key: %w", err)
	}
	if !bytes.Equal(got, plain) {
		return errors.New("unwrapping a probe key gave other bytes")
	}
	return nil
}

// Close releases the master key.
func (v *Vault) Close() error { return v.keeper.Close() }

func loadOrCreateKeyFile(path string) ([KeySize]byte, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return [KeySize]byte{}, fmt.Errorf("create master key: %w", err)
		}
		var key [KeySize]byte
		rand.Read(key[:])
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			_, err = f.WriteString(base64.StdEncoding.EncodeToString(key[:]) + "\n")
			err = errors.Join(err, f.Sync(), f.Close())
		}
		if err != nil && !errors.Is(err, os.ErrExist) {
			return key, fmt.Errorf("create master key: %w", err)
		}
	}
	return readKeyFile(path)
}

func readKeyFile(path string) ([KeySize]byte, error) {
	var key [KeySize]byte
	b, err := os.ReadFile(path)
	if err != nil {
		return key, fmt.Errorf("read master key: %w", err)
	}
	if len(b) != KeySize {
		d, derr := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
		if derr != nil || len(d) != KeySize {
			return key, fmt.Errorf("read master key %s: want %d raw bytes or their base64", path, KeySize)
		}
		b = d
	}
	copy(key[:], b)
	return key, nil
}

// DataKey seals and opens one import's data.
type DataKey struct {
	aead     cipher.AEAD
	importID string
	claims   []byte
}

// ClaimsKey is a key derived from the data key for hashing the values of
// unique columns (ingest keys SipHash with its first 16 bytes): the stored
// claims are then keyed hashes that become meaningless when the data key is
// shredded.
func (k *DataKey) ClaimsKey() []byte { return k.claims }

// NewDataKey makes a fresh data key for importID and returns it with its
// wrapped form, the only form that may be stored.
func (v *Vault) NewDataKey(ctx context.Context, importID string) (*DataKey, []byte, error) {
	raw := make([]byte, KeySize)
	rand.Read(raw)
	wrapped, err := v.keeper.Encrypt(ctx, raw)
	if err != nil {
		return nil, nil, fmt.Errorf("wrap data key: %w", err)
	}
	k, err := newDataKey(importID, raw)
	if err != nil {
		return nil, nil, err
	}
	v.remember(importID, k)
	return k, wrapped, nil
}

// DataKey unwraps the stored key of importID.
func (v *Vault) DataKey(ctx context.Context, importID string, wrapped []byte) (*DataKey, error) {
	// A destroyed key stays destroyed, even if a request racing the purge
	// still has it in the cache.
	if len(wrapped) == 0 {
		v.Forget(importID)
		return nil, fmt.Errorf("data key of import %s: destroyed", importID)
	}
	v.mu.Lock()
	k, ok := v.cache[importID]
	v.mu.Unlock()
	if ok {
		return k, nil
	}
	raw, err := v.keeper.Decrypt(ctx, wrapped)
	if err != nil {
		return nil, fmt.Errorf("unwrap data key of import %s: %w", importID, err)
	}
	k, err = newDataKey(importID, raw)
	if err != nil {
		return nil, err
	}
	v.remember(importID, k)
	return k, nil
}

// Forget drops an import's key from memory; retention calls it when it
// destroys the wrapped key.
func (v *Vault) Forget(importID string) {
	v.mu.Lock()
	delete(v.cache, importID)
	v.mu.Unlock()
}

func (v *Vault) remember(importID string, k *DataKey) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.cache) >= maxCached {
		for id := range v.cache { // evict an arbitrary entry; unwrapping again is cheap
			delete(v.cache, id)
			break
		}
	}
	v.cache[importID] = k
}

func newDataKey(importID string, raw []byte) (*DataKey, error) {
	if len(raw) != KeySize {
		return nil, fmt.Errorf("data key of import %s has %d bytes", importID, len(raw))
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, fmt.Errorf("data key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("data key: %w", err)
	}
	claims, err := hkdf.Key(sha256.New, raw, nil, "intake/v1/unique-claims", 32)
	if err != nil {
		return nil, fmt.Errorf("data key: %w", err)
	}
	return &DataKey{aead: aead, importID: importID, claims: claims}, nil
}

// Purposes bind sealed data to what it is.
const (
	PurposeChunk   = "chunk"
	PurposeContext = "context"
	// PurposeDuplicates seals a chunk's duplicates overlay (store's
	// Chunk.Duplicates), numbered as its chunk.
	PurposeDuplicates = "duplicates"
)

func (k *DataKey) aad(purpose string, n int64) []byte {
	b := make([]byte, 0, 32+len(k.importID))
	b = append(b, "intake/v1/"...)
	b = append(b, purpose...)
	b = append(b, 0)
	b = append(b, k.importID...)
	b = append(b, 0)
	return binary.BigEndian.AppendUint64(b, uint64(n))
}

// Sealed data is nonce‖ciphertext‖tag: NonceSize bytes before the
// ciphertext (as long as the plaintext) and TagSize after it.
const (
	NonceSize = 12
	TagSize   = 16
)

// Seal encrypts plaintext as item n of purpose, appending nonce‖ciphertext to
// dst. To seal in place, without a second buffer as large as the plaintext,
// write the plaintext at buf[len(dst)+NonceSize:] and pass buf[:len(dst)] as
// dst; with TagSize bytes of spare capacity after it, nothing is allocated.
func (k *DataKey) Seal(dst []byte, purpose string, n int64, plaintext []byte) []byte {
	nonceSize := k.aead.NonceSize()
	start := len(dst)
	dst = append(dst, make([]byte, nonceSize)...)
	rand.Read(dst[start : start+nonceSize])
	return k.aead.Seal(dst, dst[start:start+nonceSize], plaintext, k.aad(purpose, n))
}

// Open decrypts what Seal made for the same import, purpose and n.
func (k *DataKey) Open(dst []byte, purpose string, n int64, sealed []byte) ([]byte, error) {
	ns := k.aead.NonceSize()
	if len(sealed) < ns+k.aead.Overhead() {
		return nil, ErrOpen
	}
	out, err := k.aead.Open(dst, sealed[:ns], sealed[ns:], k.aad(purpose, n))
	if err != nil {
		return nil, ErrOpen
	}
	return out, nil
}
