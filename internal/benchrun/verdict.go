package benchrun

import (
	"fmt"
	"math"
	"strings"
)

// verdict compares N replicas with 1: the mean of the per-half ratios of
// their rows per CPU-second, less 1, and the half-width of its 95%
// confidence interval (Student's t over the halves).
type verdict struct {
	change, margin float64
	halves         int
}

// compare pairs round i of N with round i of 1 (the same half of the same
// pair of rounds, so the same drift of the machine's load) and draws the
// verdict from the spread of their ratios.
func compare(one, n []float64) verdict {
	k := min(len(one), len(n))
	ratios := make([]float64, 0, k)
	for i := range k {
		if one[i] > 0 {
			ratios = append(ratios, n[i]/one[i])
		}
	}
	v := verdict{halves: len(ratios)}
	if len(ratios) < 2 {
		v.margin = math.Inf(1)
		if len(ratios) == 1 {
			v.change = ratios[0] - 1
		}
		return v
	}
	mean, sd := meanSD(ratios)
	v.change = mean - 1
	v.margin = tQuantile975(len(ratios)-1) * sd / math.Sqrt(float64(len(ratios)))
	return v
}

// Level tells whether no change beyond the spread was measured.
func (v verdict) Level() bool { return math.Abs(v.change) <= v.margin }

func (v verdict) String() string {
	what := "level (within the spread)"
	switch {
	case v.change < -v.margin:
		what = "falls (beyond the spread)"
	case v.change > v.margin:
		what = "rises (beyond the spread)"
	}
	return fmt.Sprintf("%+.1f%% ± %.1f%% (95%%, %d halves): %s", 100*v.change, 100*v.margin, v.halves, what)
}

func meanSD(xs []float64) (mean, sd float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	for _, x := range xs {
		sd += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(sd / float64(len(xs)-1))
}

// tQuantile975 is Student's t distribution's 97.5th percentile for df
// degrees of freedom (the normal's 1.96 from 30 on).
func tQuantile975(df int) float64 {
	table := []float64{12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
		2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
		2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045}
	if df >= 1 && df <= len(table) {
		return table[df-1]
	}
	return 1.96
}

// rateSpread spells each round's rate, then their mean and range.
func rateSpread(rates []float64) string {
	if len(rates) == 0 {
		return "none"
	}
	each := make([]string, len(rates))
	lo, hi := rates[0], rates[0]
	for i, r := range rates {
		each[i] = count(r)
		lo, hi = min(lo, r), max(hi, r)
	}
	mean, _ := meanSD(append([]float64{}, rates...))
	return fmt.Sprintf("%s (mean %s, range %s–%s, ±%.0f%%)", strings.Join(each, ", "), count(mean), count(lo), count(hi), 50*(hi-lo)/mean)
}
