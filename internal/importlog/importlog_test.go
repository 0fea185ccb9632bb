package importlog

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestEventsCarryNoFreeText is the guarantee of this package: an event field
// is a number, a bool, a time, or a string type whose values are ids, enums or
// digests. A plain `string` field is allowed only when its name says it holds
// an id. Adding a free-text field makes this test fail.
func TestEventsCarryNoFreeText(t *testing.T) {
	t.Parallel()
	allowedStrings := map[reflect.Type]bool{
		reflect.TypeOf(Mode("")): true, reflect.TypeOf(Format("")): true,
		reflect.TypeOf(Reason("")): true, reflect.TypeOf(HexDigest("")): true,
	}
	for _, e := range All() {
		typ := reflect.TypeOf(e)
		for i := range typ.NumField() {
			f := typ.Field(i)
			switch {
			case f.Type == reflect.TypeOf(time.Time{}):
			case f.Type.Kind() == reflect.String && allowedStrings[f.Type]:
			case f.Type.Kind() == reflect.String && strings.HasSuffix(f.Name, "ID"):
			case f.Type.Kind() >= reflect.Bool && f.Type.Kind() <= reflect.Float64:
			default:
				t.Errorf("%s.%s has type %s: events may hold only ids, counts, enums and times", typ.Name(), f.Name, f.Type)
			}
		}
	}
}

func TestEncodeKinds(t *testing.T) {
	t.Parallel()
	seen := map[Kind]bool{}
	for _, e := range All() {
		if seen[e.Kind()] {
			t.Errorf("kind %s used twice", e.Kind())
		}
		seen[e.Kind()] = true
		if _, err := Encode(e); err != nil {
			t.Errorf("encode %T: %v", e, err)
		}
	}
}
