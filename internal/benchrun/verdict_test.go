package benchrun

import (
	"strings"
	"testing"
)

// The verdict is drawn from the spread of the half-by-half ratios, not
// from the means alone.
func TestCompare(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		one, n  []float64
		level   bool
		inWords string
	}{
		{"the same", []float64{100, 120, 90, 110}, []float64{100, 120, 90, 110}, true, "+0.0% ± 0.0% (95%, 4 halves): level"},
		{"a steady fall", []float64{100, 120, 90, 110}, []float64{90, 108, 81, 99}, false, "-10.0% ± 0.0% (95%, 4 halves): falls"},
		{"a rise", []float64{100, 100, 100, 100}, []float64{110, 112, 108, 110}, false, "+10.0% ± 2.6% (95%, 4 halves): rises"},
		// −5% on average, but the halves disagree by more than that.
		{"a fall within the noise", []float64{100, 100, 100, 100}, []float64{80, 110, 85, 105}, true, "-5.0% ± 23.4% (95%, 4 halves): level"},
		// The drift of the load moves both alike: the pairing cancels it.
		{"drift shared", []float64{200, 100, 150, 120}, []float64{196, 98, 147, 117.6}, false, "-2.0% ± 0.0% (95%, 4 halves): falls"},
		{"one half only", []float64{100}, []float64{50}, true, "-50.0% ± +Inf% (95%, 1 halves): level"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v := compare(tc.one, tc.n)
			if v.Level() != tc.level || !strings.HasPrefix(v.String(), tc.inWords) {
				t.Errorf("compare = %s (level %v), want %q… (level %v)", v, v.Level(), tc.inWords, tc.level)
			}
		})
	}
}

func TestRateSpread(t *testing.T) {
	t.Parallel()
	if got, want := rateSpread([]float64{240e3, 260e3, 250e3}), "240k, 260k, 250k (mean 250k, range 240k–260k, ±4%)"; got != want {
		t.Errorf("rateSpread = %q, want %q", got, want)
	}
}
