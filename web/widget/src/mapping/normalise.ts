// Header normalisation and similarity for column matching, ported from the
// Go package internal/mapping so that both engines score alike.

import { fold, trim } from "../validate/text.ts";

const COMBINING = /[\u0300-\u036f]/g;
const NOT_WORD = /[^\p{L}\p{N}]+/gu;

const isLower = (c: number): boolean => c >= 97 && c <= 122;
const isUpper = (c: number): boolean => c >= 65 && c <= 90;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** boundary reports a word boundary before s[i] (i > 0), on ASCII only (Go: boundary). */
function boundary(s: string, i: number): boolean {
  const p = s.charCodeAt(i - 1);
  const c = s.charCodeAt(i);
  if (isLower(p) && isUpper(c)) return true;
  if (isUpper(p) && isUpper(c) && i + 2 < s.length && isLower(s.charCodeAt(i + 1)) && isLower(s.charCodeAt(i + 2))) return true;
  return ((isLower(p) || isUpper(p)) && isDigit(c)) || (isDigit(p) && (isLower(c) || isUpper(c)));
}

/**
 * normalise is the comparable form of a header or column name: camelCase
 * split (a lower-case letter then a capital; a capital, then a capital and
 * two lower-case letters: "ZIPCode"), letters and digits apart
 * ("Address1"), all on ASCII; accents removed, folded, runs of anything but
 * letters and numbers turned into one space, trimmed (Go: normalise).
 */
export function normalise(s: string): string {
  const t = trim(s);
  let split = "";
  let from = 0;
  for (let i = 1; i < t.length; i++) {
    if (boundary(t, i)) {
      split += t.slice(from, i) + " ";
      from = i;
    }
  }
  split += t.slice(from);
  return trim(fold(split.normalize("NFD").replace(COMBINING, "").replace(NOT_WORD, " ")));
}

/** dice is the Sørensen–Dice coefficient of two sets of distinct tokens. */
export function dice(a: readonly string[], b: readonly string[]): number {
  if (a.length + b.length === 0) return 0;
  let common = 0;
  for (const k of a) if (b.includes(k)) common++;
  return (2 * common) / (a.length + b.length);
}

/** bagDistance is the larger count of code points of a or b (sorted) left over once equal ones are paired (Go: bagDistance). */
export function bagDistance(a: readonly number[], b: readonly number[]): number {
  let common = 0;
  for (let i = 0, j = 0; i < a.length && j < b.length; ) {
    if (a[i] === b[j]) {
      common++;
      i++;
      j++;
    } else if (a[i]! < b[j]!) i++;
    else j++;
  }
  return Math.max(a.length, b.length) - common;
}

/** similarity is 1 − optimal-string-alignment distance / longer length, on code points. */
export function similarity(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  const n = Math.max(x.length, y.length);
  if (n === 0) return 0;
  return 1 - osa(x, y) / n;
}

let rows: [Int32Array, Int32Array, Int32Array] = [new Int32Array(66), new Int32Array(66), new Int32Array(66)];

/** osa is Levenshtein distance plus the transposition of two adjacent characters (code points). */
export function osa(a: readonly string[], b: readonly string[]): number {
  if (rows[0].length < b.length + 1) rows = [new Int32Array(b.length + 1), new Int32Array(b.length + 1), new Int32Array(b.length + 1)];
  let [prev2, prev, cur] = rows;
  for (let j = 0; j <= b.length; j++) {
    prev[j] = j;
    prev2[j] = 0;
  }
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      cur[j] = d;
    }
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[b.length]!;
}
