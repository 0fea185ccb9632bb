// Email addresses and domain names, checked with hand-written scanners so a
// hostile cell costs linear time and no regular-expression backtracking.

// LOCAL_CHARS[c] is 1 when ASCII code c may appear in an email local part.
const LOCAL_CHARS = new Uint8Array(128);
for (const ch of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+/=?^_`{|}~.-") {
  LOCAL_CHARS[ch.charCodeAt(0)] = 1;
}

function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/**
 * isDomain reports whether s[from:to] is a domain name as docs/templates.md
 * defines it: at least two labels of 1–63 letters, digits and inner hyphens,
 * the last label 2–63 letters or starting with "xn--".
 */
export function isDomain(s: string, from: number, to: number): boolean {
  let labels = 0;
  let start = from;
  for (let i = from; i <= to; i++) {
    if (i < to && s.charCodeAt(i) !== 46) continue;
    const len = i - start;
    if (len < 1 || len > 63) return false;
    if (s.charCodeAt(start) === 45 || s.charCodeAt(i - 1) === 45) return false;
    for (let j = start; j < i; j++) {
      const c = s.charCodeAt(j);
      if (!isAlnum(c) && c !== 45) return false;
    }
    labels++;
    if (i === to) {
      if (labels < 2) return false;
      if (len >= 4 && s.charCodeAt(start + 2) === 45 && s.charCodeAt(start + 3) === 45 &&
        (s.charCodeAt(start) | 0x20) === 120 && (s.charCodeAt(start + 1) | 0x20) === 110) return true;
      if (len < 2) return false;
      for (let j = start; j < i; j++) if (!isLetter(s.charCodeAt(j))) return false;
      return true;
    }
    start = i + 1;
  }
  return false;
}

/**
 * normaliseEmail returns the address with its domain lower-cased, or null
 * when the trimmed value is not an address under the documented rules.
 */
export function normaliseEmail(s: string): string | null {
  const n = s.length;
  if (n > 254) return null;
  const at = s.indexOf("@");
  if (at < 1 || at > 64 || s.indexOf("@", at + 1) >= 0) return null;
  if (s.charCodeAt(0) === 46 || s.charCodeAt(at - 1) === 46) return null;
  let prevDot = false;
  for (let i = 0; i < at; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || LOCAL_CHARS[c] === 0) return null;
    const dot = c === 46;
    if (dot && prevDot) return null;
    prevDot = dot;
  }
  if (!isDomain(s, at + 1, n)) return null;
  for (let i = at + 1; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) return s.slice(0, at + 1) + s.slice(at + 1).toLowerCase();
  }
  return s;
}
