package parse

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// The rules of docs/parsing.md, "Numbers", case by case.
func TestGeneralNumber(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"41800000.009999998": "41800000.01", "0.30000000000000004": "0.3", "1E+21": "1000000000000000000000",
		"1E-7": "0.0000001", "-0": "0", "9007199254740993": "9007199254740990", "": "", "abc": "abc",
		"1000000000000005": "1000000000000010", "1e400": "1e400", " 12 ": "12", "0x1F": "31", "Infinity": "Infinity",
		"12": "12", "-3.25": "-3.25", "0.5": "0.5", "1.50": "1.5", "007": "7", ".5": "0.5", "5.": "5",
		"123456789012345": "123456789012345", "1234567890123456": "1234567890123460", "NaN": "NaN", "1_0": "1_0",
		// The largest double rounds past itself at 15 digits: its shortest form.
		"1.7976931348623157e308": "17976931348623157" + strings.Repeat("0", 292),
	} {
		if got := generalNumber(in); got != want {
			t.Errorf("generalNumber(%q) = %q, want %q", in, got, want)
		}
	}
}

// The canonical fast path gives what the full path gives.
func TestCanonicalFastPath(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	full := func(text string) string {
		x, _ := jsNumber(text)
		y, _ := strconv.ParseFloat(toPrecision(x, excelDigits), 64)
		return plainShortest(y)
	}
	for range 200_000 {
		var text string
		switch rng.IntN(3) {
		case 0:
			text = strconv.FormatInt(rng.Int64N(1e15)-5e14, 10)
		case 1:
			text = strconv.FormatFloat(rng.NormFloat64()*math.Pow(10, float64(rng.IntN(20)-10)), 'f', -1, 64)
		default:
			text = strconv.FormatFloat(float64(rng.Int64N(1e9))/100, 'f', -1, 64)
		}
		if text == "0" || !canonical(text) {
			continue
		}
		if got := full(text); got != text {
			t.Fatalf("canonical %q, but the full rule writes %q", text, got)
		}
	}
}
