package phone

import (
	"testing"
)

// FuzzPhone compares the fast path with the library (the oracle) on
// arbitrary strings and default regions: whenever the fast path decides, it
// must give the library's exact answer.
func FuzzPhone(f *testing.F) {
	c, err := loadCorpus()
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		"+1 773-255-9915", "+39 06 43706301", "+44 (0)20 7946 0958", "020 7946 0958", "0033 1 23 45 67 89", "011 44 20 7946 0958",
		"(415) 555-2671", "1-800-FLOWERS", "+1 415 555 2671 ext. 12", "+81 3-1234-5678", "03-1234-5678", "+54 9 11 1234 5678",
		"+55 11 91234 5678", "+7 495 123-45-67", "8 (495) 123-45-67", "+800 1234 5678", "+0044 20", "12", "+", "",
	} {
		for _, region := range []uint8{0, 1, 100, 200} {
			f.Add(seed, region)
		}
	}
	f.Fuzz(func(t *testing.T, v string, region uint8) {
		compare(t, c.parsers[c.ids[int(region)%len(c.ids)]], v)
	})
}
