// Header normalisation and similarity for column matching, ported from the
// Go package internal/mapping so that both engines score alike.

import { fold, trim } from "../validate/text.ts";

const COMBINING = /[\u0300-\u036f]/g;
const ASCII_CAMEL = /([a-z])(?=[A-Z])/g;
const NOT_WORD = /[^\p{L}\p{N}]+/gu;

/**
 * normalise is the comparable form of a header or column name: ASCII
 * camelCase split, accents removed, folded, runs of anything but letters and
 * numbers turned into one space, trimmed (Go: mapping.Normalise).
 */
export function normalise(s: string): string {
  const split = trim(s).replace(ASCII_CAMEL, "$1 ");
  return trim(fold(split.normalize("NFD").replace(COMBINING, "").replace(NOT_WORD, " ")));
}

/** dice is the Sørensen–Dice coefficient of two token sets. */
export function dice(a: readonly string[], b: readonly string[]): number {
  const sa = new Set(a);
  const sb = new Set(b);
  if (sa.size + sb.size === 0) return 0;
  let common = 0;
  for (const k of sa) if (sb.has(k)) common++;
  return (2 * common) / (sa.size + sb.size);
}

/** similarity is 1 − optimal-string-alignment distance / longer length, on code points. */
export function similarity(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  const n = Math.max(x.length, y.length);
  if (n === 0) return 0;
  return 1 - osa(x, y) / n;
}

/** osa is Levenshtein distance plus the transposition of two adjacent characters. */
function osa(a: readonly string[], b: readonly string[]): number {
  let prev2 = new Array<number>(b.length + 1).fill(0);
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  let cur = new Array<number>(b.length + 1).fill(0);
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
