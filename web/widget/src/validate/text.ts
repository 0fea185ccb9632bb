// Text primitives shared by every rule: trimming, case folding and length,
// each defined exactly as docs/templates.md says so that the widget and the
// Go engine agree on every code point.

/**
 * trim removes the template trim set from both ends. The set in
 * docs/templates.md is exactly what String.prototype.trim removes (White_Space
 * of ECMAScript: TAB–CR, SP, NBSP, Zs, LS, PS, BOM), and V8 returns the same
 * string object when there is nothing to remove, so no copy is made.
 */
export function trim(s: string): string {
  return s.trim();
}

/**
 * fold maps each code point through its simple lowercase mapping, like Go's
 * unicode.ToLower applied rune by rune. String.prototype.toLowerCase differs
 * only for U+0130 (full mapping "i̇") and for Σ (final-sigma context rule), so
 * a string without either takes the fast native path.
 */
export function fold(s: string): string {
  if (s.indexOf("\u0130") < 0 && s.indexOf("\u03a3") < 0) return s.toLowerCase();
  let out = "";
  for (const ch of s) {
    if (ch === "\u0130") out += "i";
    else if (ch === "\u03a3") out += "\u03c3";
    else out += ch.toLowerCase();
  }
  return out;
}

/** asciiLower lower-cases A–Z only, as "ASCII case-insensitive" requires. */
export function asciiLower(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
  }
  return s;
}

/** asciiUpper upper-cases a–z only. */
export function asciiUpper(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 97 && c <= 122) return s.replace(/[a-z]+/g, (m) => m.toUpperCase());
  }
  return s;
}

/**
 * codePoints counts Unicode code points (a surrogate pair is one, a lone
 * surrogate is one), the unit of min_length and max_length.
 */
export function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/** isAsciiDigit reports whether the UTF-16 unit c is 0–9. */
export function isAsciiDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
