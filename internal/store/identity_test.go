package store

import (
	"bytes"
	"context"
	"testing"
)

// TestImporterIdentity: require_identity and the sealed identity secret are
// stored on create and on update, read back by id and by public key, and
// the secret never appears in the importer's JSON.
func TestImporterIdentity(t *testing.T) {
	t.Parallel()
	for name, s := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			a, _ := twoOrgs(t, s)
			sealed := []byte("sealed-secret-bytes")
			im, err := s.CreateImporter(ctx, a.ID, Importer{Name: "n", Template: []byte(`{}`), Mode: ModeStored, RetentionDays: 30,
				RequireIdentity: true, IdentitySecretSealed: sealed})
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.ImporterByKey(ctx, im.Key)
			if err != nil || !got.RequireIdentity || !bytes.Equal(got.IdentitySecretSealed, sealed) {
				t.Fatalf("created: require %v, sealed %q, %v", got.RequireIdentity, got.IdentitySecretSealed, err)
			}
			got.RequireIdentity, got.IdentitySecretSealed = false, []byte("rotated")
			if _, err := s.UpdateImporter(ctx, a.ID, got); err != nil {
				t.Fatal(err)
			}
			got, err = s.Importer(ctx, a.ID, im.ID)
			if err != nil || got.RequireIdentity || string(got.IdentitySecretSealed) != "rotated" {
				t.Fatalf("updated: require %v, sealed %q, %v", got.RequireIdentity, got.IdentitySecretSealed, err)
			}
			plain, err := s.CreateImporter(ctx, a.ID, Importer{Name: "p", Template: []byte(`{}`), Mode: ModeStored, RetentionDays: 30})
			if err != nil {
				t.Fatal(err)
			}
			if got, err := s.Importer(ctx, a.ID, plain.ID); err != nil || got.RequireIdentity || got.IdentitySecretSealed != nil {
				t.Fatalf("default: require %v, sealed %q, %v", got.RequireIdentity, got.IdentitySecretSealed, err)
			}
		})
	}
}
