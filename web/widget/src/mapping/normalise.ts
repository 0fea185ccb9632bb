// Header normalisation for column matching: the same header written with
// other case, accents, punctuation, camelCase or word order must compare
// equal, while the words themselves are kept so that "Email consent" stays
// different from "Email".

import { fold } from "../validate/text.ts";

const COMBINING = /[\u0300-\u036f]/g;
const CAMEL = /(\p{Ll})(\p{Lu})/gu;
const SEPARATORS = /[^\p{L}\p{N}]+/gu;

/** words splits a header into folded, accent-free words. */
export function words(header: string): string[] {
  const s = fold(header.normalize("NFD").replace(COMBINING, "").replace(CAMEL, "$1 $2"))
    .replace(SEPARATORS, " ")
    .trim();
  return s === "" ? [] : s.split(" ");
}

// Words that carry no meaning in a header ("Date of signup").
const STOP = new Set(["of", "the", "a", "an", "in", "for", "to", "and", "or", "de", "du", "la", "le", "der", "die", "das"]);

/** Forms of one header or name, compared at decreasing confidence. */
export interface Forms {
  /** words joined by one space */
  readonly spaced: string;
  /** words joined without spaces ("firstname") */
  readonly compact: string;
  /** meaningful words, sorted ("date signup") */
  readonly bag: string;
}

/** forms computes the comparison forms of a header or a column name. */
export function forms(header: string): Forms {
  const w = words(header);
  const meaningful = w.filter((x) => !STOP.has(x));
  return {
    spaced: w.join(" "),
    compact: w.join(""),
    bag: [...(meaningful.length > 0 ? meaningful : w)].sort().join(" "),
  };
}

/**
 * similarity is 1 − (optimal string alignment distance / longer length),
 * over code points: a transposition ("Emial") costs one edit.
 */
export function similarity(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  const n = x.length;
  const m = y.length;
  if (n === 0 || m === 0) return n === m ? 1 : 0;
  let prev2 = new Array<number>(m + 1).fill(0);
  let prev = Array.from({ length: m + 1 }, (_, j) => j);
  let cur = new Array<number>(m + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    for (let j = 1; j <= m; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) d = Math.min(d, (prev2[j - 2] ?? 0) + 1);
      cur[j] = d;
    }
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return 1 - (prev[m] ?? 0) / Math.max(n, m);
}
