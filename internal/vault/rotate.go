package vault

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
)

// Rewrap re-wraps a data key that v's master key wrapped under to's master
// key. The data key itself does not change, so every chunk sealed with it
// stays as it is: rotating the master key rewrites one short value per
// import and reads no chunk. It returns nil, nil when to already unwraps
// wrapped, so that a rotation stopped half way can simply run again.
func (v *Vault) Rewrap(ctx context.Context, to *Vault, wrapped []byte) ([]byte, error) {
	if _, err := to.keeper.Decrypt(ctx, wrapped); err == nil {
		return nil, nil
	}
	raw, err := v.keeper.Decrypt(ctx, wrapped)
	if err != nil {
		return nil, fmt.Errorf("unwrap with the current master key: %w", err)
	}
	if len(raw) != KeySize {
		return nil, fmt.Errorf("unwrapped key has %d bytes", len(raw))
	}
	out, err := to.keeper.Encrypt(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("wrap with the new master key: %w", err)
	}
	// Read it back before the old form is replaced: a key lost here would
	// shred an import nobody asked to purge.
	if back, err := to.keeper.Decrypt(ctx, out); err != nil || !bytes.Equal(back, raw) {
		return nil, errors.Join(errors.New("the new master key does not unwrap what it wrapped"), err)
	}
	return out, nil
}

// RewrapSecret is Rewrap for a value of SealSecret: only the wrapped key
// at its front changes; the sealed settings behind it are kept byte for
// byte. It returns nil, nil when to already opens sealed.
func (v *Vault) RewrapSecret(ctx context.Context, to *Vault, sealed []byte) ([]byte, error) {
	if len(sealed) < 4 {
		return nil, ErrOpen
	}
	n := binary.BigEndian.Uint32(sealed)
	if n == 0 || n > maxWrapped || int(n) > len(sealed)-4 {
		return nil, ErrOpen
	}
	wrapped, body := sealed[4:4+n], sealed[4+n:]
	rewrapped, err := v.Rewrap(ctx, to, wrapped)
	if err != nil || rewrapped == nil {
		return nil, err
	}
	out := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(rewrapped)+len(body)), uint32(len(rewrapped)))
	out = append(out, rewrapped...)
	return append(out, body...), nil
}
