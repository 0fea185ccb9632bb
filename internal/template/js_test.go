package template

import (
	"bytes"
	"encoding/json"
	"errors"
	"os/exec"
	"slices"
	"testing"
	"unicode"
)

// These tests prove the claim the whole package rests on — that the rules
// mean the same in Go and in JavaScript — by asking a real JavaScript engine.
// They need node on PATH and are skipped without it.

func runNode(t *testing.T, script string, input any) []byte {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not on PATH")
	}
	in, _ := json.Marshal(input)
	cmd := exec.Command(node, "-e", script)
	cmd.Stdin = bytes.NewReader(in)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	return out
}

// foldExceptions are code points whose lowercase mapping JavaScript engines
// with Unicode 16+ data know and Go's Unicode 15.0 tables do not; Fold leaves
// them unchanged, and docs/templates.md tells the TypeScript engine to as well.
func foldException(r rune) bool {
	switch {
	case r == 0x1C89, r == 0xA7CB, r == 0xA7CC, r == 0xA7CE, r == 0xA7D2, r == 0xA7D4, r == 0xA7DA, r == 0xA7DC,
		r >= 0x10D50 && r <= 0x10D65, r >= 0x16EA0 && r <= 0x16EB8:
		return true
	}
	return false
}

func TestFoldMatchesJavaScript(t *testing.T) {
	t.Parallel()
	out := runNode(t, `
const m = {};
for (let c = 0; c <= 0x10FFFF; c++) {
  if (c >= 0xD800 && c <= 0xDFFF) continue;
  const s = String.fromCodePoint(c), l = c === 0x130 ? 'i' : s.toLowerCase();
  if (l !== s) m[c] = [...l].map(x => x.codePointAt(0));
}
process.stdout.write(JSON.stringify(m));`, nil)
	var js map[rune][]rune
	if err := json.Unmarshal(out, &js); err != nil {
		t.Fatal(err)
	}
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if r >= 0xD800 && r <= 0xDFFF || foldException(r) {
			continue
		}
		want := []rune{r}
		if l, ok := js[r]; ok {
			want = l
		}
		if got := []rune(Fold(string(r))); !slices.Equal(got, want) {
			t.Errorf("Fold(%U) = %U, JavaScript gives %U", r, got, want)
		}
	}
}

func TestTrimSetMatchesJavaScript(t *testing.T) {
	t.Parallel()
	out := runNode(t, `
const s = [];
for (let c = 0; c <= 0x10FFFF; c++) {
  if (c >= 0xD800 && c <= 0xDFFF) continue;
  if (('a' + String.fromCodePoint(c)).trim() === 'a') s.push(c);
}
process.stdout.write(JSON.stringify(s));`, nil)
	var js []rune
	if err := json.Unmarshal(out, &js); err != nil {
		t.Fatal(err)
	}
	var goSet []rune
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if IsSpace(r) {
			goSet = append(goSet, r)
		}
	}
	if !slices.Equal(goSet, js) {
		t.Errorf("trim set differs:\n Go %U\n JS %U", goSet, js)
	}
}

// TestRegexSubsetMatchesJavaScript compiles patterns of the subset in both
// engines and compares full-match results on tricky inputs.
func TestRegexSubsetMatchesJavaScript(t *testing.T) {
	t.Parallel()
	patterns := []string{
		`[A-Z]{3}-\d{4}`, `a.b`, `\w+`, `\W`, `\d+(\.\d+)?`, `[^a-z]+`, `[\-a]+`, `[a-]+`, `[-a]+`,
		`\p{L}+`, `\p{Lu}\p{Ll}*`, `\P{N}+`, `\p{Nd}`, `[\p{L}\p{M}' -]+`, `\u00e9+`, `\x41\u0042`,
		`(?:ab|cd)*`, `a|b|`, `^ab$`, `a{2,}`, `a{0,3}?`, `[.*+?()${}|]+`, `\/\.\\`, `[\t\n\r]`, `\v\f`,
		`[^\n]*`, `.+`, `[😀-😂]`, `.`, `[\u0600-\u06ff ]+`, `\w{1,1000}`,
	}
	inputs := []string{"", "a", "ab", "a\nb", "a\rb", "a\u2028b", "a\u2029b", "a\u0085b", "ABC-1234", "ABC-١٢٣٤", "é", "e\u0301",
		"Émile", "東京", "😀", "😃", "a😀b", "3.14", "-", "aa", "aaaa", "ab|cd", ".*+?()${}|", "/.\\", "\t", "\v\f", "\u000b",
		"مرحبا بك", "ǅ", "İ", "ſ", "K", "x_1", "\x00", "AB", "abcdab"}
	var goResults [][]bool
	for _, p := range patterns {
		re, err := CompileRegex(p)
		if err != nil {
			t.Fatalf("%q refused: %v", p, err)
		}
		row := make([]bool, len(inputs))
		for i, in := range inputs {
			row[i] = re.MatchString(in)
		}
		goResults = append(goResults, row)
	}
	out := runNode(t, `
let d = ''; process.stdin.on('data', c => d += c).on('end', () => {
  const {patterns, inputs} = JSON.parse(d);
  process.stdout.write(JSON.stringify(patterns.map(p => {
    const re = new RegExp('^(?:' + p + ')$', 'u');
    return inputs.map(s => re.test(s));
  })));
});`, map[string]any{"patterns": patterns, "inputs": inputs})
	var jsResults [][]bool
	if err := json.Unmarshal(out, &jsResults); err != nil {
		t.Fatal(err)
	}
	for i, p := range patterns {
		for j, in := range inputs {
			if goResults[i][j] != jsResults[i][j] {
				t.Errorf("pattern %q on %q: Go %v, JavaScript %v", p, in, goResults[i][j], jsResults[i][j])
			}
		}
	}
}

// TestRegexInvalidIsInvalidInJavaScript checks that the patterns the subset
// refuses as regex_invalid are errors in JavaScript too.
func TestRegexInvalidIsInvalidInJavaScript(t *testing.T) {
	t.Parallel()
	invalid := []string{"a(b", "a**", "*a", "a)", "[a", "[z-a]", "a{3,2}", `\`, "^*"}
	for _, p := range invalid {
		if _, err := CompileRegex(p); err == nil || !errorsIsInvalid(err) {
			t.Errorf("%q: got %v, want regex_invalid", p, err)
		}
	}
	out := runNode(t, `
let d = ''; process.stdin.on('data', c => d += c).on('end', () => {
  process.stdout.write(JSON.stringify(JSON.parse(d).map(p => { try { new RegExp('^(?:' + p + ')$', 'u'); return true } catch { return false } })));
});`, invalid)
	var compiles []bool
	if err := json.Unmarshal(out, &compiles); err != nil {
		t.Fatal(err)
	}
	for i, ok := range compiles {
		if ok {
			t.Errorf("%q compiles in JavaScript, so it is not regex_invalid", invalid[i])
		}
	}
}

func errorsIsInvalid(err error) bool { return errors.Is(err, errRegexInvalid) }
