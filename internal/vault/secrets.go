package vault

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
)

// PurposeSettings binds sealed destination settings (signing secrets,
// credentials, connection strings) to their owner.
const PurposeSettings = "settings"

// maxWrapped bounds the wrapped key read back from a sealed secret, so a
// corrupted length cannot make OpenSecret allocate without limit.
const maxWrapped = 4096

// SealSecret seals plain (a destination's settings) for ownerID under a
// fresh data key wrapped by the master key, and returns one self-contained
// value: the wrapped key's length (4 bytes), the wrapped key, then the
// sealed bytes. Each call uses a new key, so settings rewritten by one
// replica never collide with a key another replica has cached, and dropping
// the value destroys the secret with its key.
func (v *Vault) SealSecret(ctx context.Context, ownerID string, plain []byte) ([]byte, error) {
	raw := make([]byte, KeySize)
	rand.Read(raw)
	wrapped, err := v.keeper.Encrypt(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("wrap secret key of %s: %w", ownerID, err)
	}
	k, err := newDataKey(ownerID, raw)
	if err != nil {
		return nil, err
	}
	v.remember(secretCacheID(ownerID, wrapped), k)
	out := binary.BigEndian.AppendUint32(nil, uint32(len(wrapped)))
	out = append(out, wrapped...)
	return k.Seal(out, PurposeSettings, 0, plain), nil
}

// OpenSecret returns what SealSecret sealed for ownerID. The unwrapped key
// is cached like an import's, so a delivery that loads its destination on
// every run does not call a KMS each time.
func (v *Vault) OpenSecret(ctx context.Context, ownerID string, sealed []byte) ([]byte, error) {
	if len(sealed) < 4 {
		return nil, ErrOpen
	}
	n := binary.BigEndian.Uint32(sealed)
	if n == 0 || n > maxWrapped || int(n) > len(sealed)-4 {
		return nil, ErrOpen
	}
	wrapped, body := sealed[4:4+n], sealed[4+n:]
	id := secretCacheID(ownerID, wrapped)
	v.mu.Lock()
	k, ok := v.cache[id]
	v.mu.Unlock()
	if !ok {
		raw, err := v.keeper.Decrypt(ctx, wrapped)
		if err != nil {
			return nil, fmt.Errorf("unwrap secret key of %s: %w", ownerID, err)
		}
		if k, err = newDataKey(ownerID, raw); err != nil {
			return nil, err
		}
		v.remember(id, k)
	}
	return k.Open(nil, PurposeSettings, 0, body)
}

// secretCacheID names a secret key in the cache by its owner and wrapped
// form, apart from import ids.
func secretCacheID(ownerID string, wrapped []byte) string {
	sum := sha256.Sum256(wrapped)
	return "secret/" + ownerID + "/" + hex.EncodeToString(sum[:8])
}
