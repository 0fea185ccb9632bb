package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestLearned: an importer's learned mappings are upserted (newest wins),
// bounded (MaxLearned, MaxLearnedHeader), listed newest first and cleared,
// and another organization can neither read nor clear them.
func TestLearned(t *testing.T) {
	t.Parallel()
	for name, s := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			a, b := twoOrgs(t, s)
			im, err := s.CreateImporter(ctx, a.ID, Importer{Name: "n", Template: []byte(`{}`), Mode: ModeStored, RetentionDays: 30, LearnMappings: true})
			if err != nil {
				t.Fatal(err)
			}
			if got, err := s.Importer(ctx, a.ID, im.ID); err != nil || !got.LearnMappings {
				t.Fatalf("learn_mappings not stored: %v, %v", got.LearnMappings, err)
			}
			n, err := s.Learn(ctx, im.ID, []LearnedMapping{{Header: "e mail adresse", Key: "email"}, {Header: "tel", Key: "phone"},
				{Header: strings.Repeat("x", MaxLearnedHeader+1), Key: "email"}, {Header: "", Key: "email"}})
			if err != nil || n != 2 {
				t.Fatalf("Learn kept %d, %v; want 2", n, err)
			}
			if _, err := s.Learn(ctx, im.ID, []LearnedMapping{{Header: "tel", Key: "mobile"}}); err != nil {
				t.Fatal(err)
			}
			got, err := s.Learned(ctx, a.ID, im.ID)
			if err != nil || len(got) != 2 || got[0].Header != "tel" || got[0].Key != "mobile" || got[1].Key != "email" {
				t.Fatalf("Learned = %+v, %v", got, err)
			}
			if _, err := s.Learned(ctx, b.ID, im.ID); !errors.Is(err, ErrNotFound) {
				t.Fatalf("org b reads org a's learned list: %v", err)
			}
			if _, err := s.ForgetLearned(ctx, b.ID, im.ID); !errors.Is(err, ErrNotFound) {
				t.Fatalf("org b clears org a's learned list: %v", err)
			}
			if got, _ := s.ImporterLearned(ctx, im.ID); len(got) != 2 {
				t.Fatalf("after org b's attempt: %d entries, want 2", len(got))
			}
			many := make([]LearnedMapping, MaxLearned+10)
			for i := range many {
				many[i] = LearnedMapping{Header: fmt.Sprintf("h%d", i), Key: "k"}
			}
			if _, err := s.Learn(ctx, im.ID, many); err != nil {
				t.Fatal(err)
			}
			if got, _ := s.ImporterLearned(ctx, im.ID); len(got) != MaxLearned {
				t.Fatalf("%d entries, want the bound %d", len(got), MaxLearned)
			}
			if n, err := s.ForgetLearned(ctx, a.ID, im.ID); err != nil || n != MaxLearned {
				t.Fatalf("ForgetLearned = %d, %v", n, err)
			}
			if got, _ := s.ImporterLearned(ctx, im.ID); len(got) != 0 {
				t.Fatalf("%d entries after forget", len(got))
			}
			if n, err := s.ForgetLearned(ctx, a.ID, im.ID); err != nil || n != 0 {
				t.Fatalf("ForgetLearned of an empty list = %d, %v", n, err)
			}
		})
	}
}
