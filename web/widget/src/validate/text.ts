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

// Code points fold() must treat specially: U+0130 (simple lowercase "i"),
// capital sigma (no final-sigma rule), and those that received a lowercase
// mapping after Unicode 15.0, which Go's tables (15.0) leave unchanged.
const FOLD_SPECIAL = /[\u0130\u03a3\u1c89\ua7cb\ua7cc\ua7ce\ua7d2\ua7d4\ua7da\ua7dc]|\ud803[\udd50-\udd65]|\ud81b[\udea0-\udeb8]/;

function foldCodePoint(ch: string): string {
  const c = ch.codePointAt(0) ?? 0;
  if (c === 0x130) return "i";
  if (c === 0x3a3) return "\u03c3";
  if (c === 0x1c89 || c === 0xa7cb || c === 0xa7cc || c === 0xa7ce || c === 0xa7d2 || c === 0xa7d4 || c === 0xa7da || c === 0xa7dc) return ch;
  if ((c >= 0x10d50 && c <= 0x10d65) || (c >= 0x16ea0 && c <= 0x16eb8)) return ch;
  return ch.toLowerCase();
}

/**
 * fold maps each code point through its Unicode 15.0 simple lowercase
 * mapping, like Go's unicode.ToLower applied rune by rune (docs/templates.md,
 * "Case folding"). String.prototype.toLowerCase agrees except on the code
 * points of FOLD_SPECIAL, so a string without them takes the native path.
 */
export function fold(s: string): string {
  if (!FOLD_SPECIAL.test(s)) return s.toLowerCase();
  let out = "";
  for (const ch of s) out += foldCodePoint(ch);
  return out;
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

/** utf8Length is the UTF-8 byte length of s, the unit of Go's len(). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}
