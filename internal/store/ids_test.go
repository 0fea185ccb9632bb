package store

import (
	"regexp"
	"slices"
	"testing"
	"time"
)

// TestSortableIDsSortByTime: ids made at later milliseconds sort after
// earlier ones, whatever their random part, and look like every other id.
func TestSortableIDsSortByTime(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 11, 29, 5, 0, 0, 0, time.UTC)
	var ids []string
	for i := range 2000 {
		ids = append(ids, newSortableID("imt_", base.Add(time.Duration(i)*time.Millisecond)))
	}
	if !slices.IsSorted(ids) {
		t.Fatal("ids made one millisecond apart do not sort in time order")
	}
	shape := regexp.MustCompile(`^imt_[a-z2-7]{26}$`)
	seen := map[string]bool{}
	for _, id := range append(ids, NewSortableID("imt_"), NewID("imt_")) {
		if !shape.MatchString(id) || seen[id] {
			t.Fatalf("id %q: wrong shape or repeated", id)
		}
		seen[id] = true
	}
	// The same millisecond: the random part differs.
	if a, b := newSortableID("imt_", base), newSortableID("imt_", base); a == b || a[:13] != b[:13] {
		t.Fatalf("two ids of one millisecond: %q %q", a, b)
	}
}
