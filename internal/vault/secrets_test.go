package vault

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

func TestSecretSealsAndBindsOwner(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	v, err := Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	plain := []byte(`{"secrets":["whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"]}`)
	sealed, err := v.SealSecret(ctx, "dst_a", plain)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("whsec_")) {
		t.Fatal("secret visible in sealed bytes")
	}
	// A second vault on the same master key has no cached key: it unwraps.
	v2, err := Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, vv := range []*Vault{v, v2} {
		got, err := vv.OpenSecret(ctx, "dst_a", sealed)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("open = %q, %v", got, err)
		}
	}
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	cases := []struct {
		name, owner string
		sealed      []byte
	}{
		{"other owner", "dst_b", sealed},
		{"tampered", "dst_a", tampered},
		{"truncated", "dst_a", sealed[:3]},
		{"bad length", "dst_a", append([]byte{0xff, 0xff, 0xff, 0xff}, sealed[4:]...)},
	}
	for _, c := range cases {
		if _, err := v2.OpenSecret(ctx, c.owner, c.sealed); !errors.Is(err, ErrOpen) {
			t.Errorf("%s: %v, want ErrOpen", c.name, err)
		}
	}
}
