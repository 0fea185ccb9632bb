// The dialect of a delimited file — its Excel "sep=" line, line break and
// delimiter — detected on the first part of its text. Written out in
// docs/parsing.md, step by step, so that the server's parser can follow it
// exactly; the vectors of testdata/conformance/parsing check both.
//
// Papa Parse's own guesser is not used: it averages field counts over every
// line of its preview, the empty one after a final line break included, so a
// two-column file of a few lines is read as one column (issue 10).

import { trim } from "../validate/text.ts";

/** Delimiters detection chooses from, in the order that wins a tie. */
export const CANDIDATES = ["\t", ";", "|", ","] as const;

/** The delimiter of a text with no candidate that fits: one column, "," by convention. */
export const DEFAULT_DELIMITER = ",";

/** Records of the sample a candidate is scored on, blank ones not counted. */
export const SCORED_RECORDS = 100;

/** Length of the sample (UTF-16 code units) the dialect is detected on. */
export const SAMPLE_LENGTH = 1 << 20;

/** What detection found at the start of a text. */
export interface Dialect {
  delimiter: string;
  linebreak: "\r\n" | "\n" | "\r";
  /** Code units of the text taken by the sep= line (its line break included), 0 without one. */
  skip: number;
}

/**
 * sepLine reads Excel's delimiter hint: a first line made of "sep=" (ASCII
 * case-insensitive) and one character, ended by a line break or the end of
 * the text. It returns the character and the length of the line with its
 * line break, or null when the text does not start with such a line.
 */
export function sepLine(text: string): { delimiter: string; length: number } | null {
  if (text.length < 5 || text.slice(0, 4).toLowerCase() !== "sep=") return null;
  const code = text.codePointAt(4)!;
  const width = code > 0xffff ? 2 : 1;
  const delimiter = text.slice(4, 4 + width);
  // Papa Parse refuses these as delimiters, and so does the format.
  if (delimiter === "\r" || delimiter === "\n" || delimiter === '"' || delimiter === "\uFEFF") return null;
  const end = 4 + width;
  if (end === text.length) return { delimiter, length: end };
  if (text.startsWith("\r\n", end)) return { delimiter, length: end + 2 };
  if (text[end] === "\r" || text[end] === "\n") return { delimiter, length: end + 1 };
  return null;
}

/**
 * detectLinebreak returns the first line break (CRLF, LF or CR) outside
 * quotes, where every '"' opens or closes quotes whatever its place; when
 * every line break is inside quotes by that count (a stray quote), the first
 * line break of the text; "\n" when the text has none. A CR that ends the
 * text is a CR.
 */
export function detectLinebreak(text: string): "\r\n" | "\n" | "\r" {
  let first = -1;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) quoted = !quoted;
    else if (c === 13 || c === 10) {
      if (!quoted) return breakAt(text, i);
      if (first < 0) first = i;
    }
  }
  return first < 0 ? "\n" : breakAt(text, first);
}

function breakAt(text: string, i: number): "\r\n" | "\n" | "\r" {
  if (text.charCodeAt(i) === 10) return "\n";
  return text.charCodeAt(i + 1) === 10 ? "\r\n" : "\r";
}

/** isSpace reports a code unit of the trim set; ASCII without a call. */
function isSpace(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c < 128) return c === 32 || (c >= 9 && c <= 13);
  return trim(text[i]!) === "";
}

/**
 * fieldCounts splits text into records with delimiter d and line break lb
 * and returns the field count of each of the first SCORED_RECORDS non-blank
 * records (a blank record: nothing between two line breaks). A field that
 * starts with '"' is quoted: it ends at a '"' followed by d, lb or the end of
 * the text, optionally after whitespace; '""' is a quote inside it; any other
 * '"' is text; without such an end it runs to the end of the text. With cut
 * set, a last record that no line break ends is not counted: the text goes on.
 */
export function fieldCounts(text: string, d: string, lb: string, cut: boolean): number[] {
  const counts: number[] = [];
  const n = text.length;
  // Positions of the next delimiter and line break; -2 = not searched yet,
  // -1 = none left.
  let nextD = -2;
  let nextLb = -2;
  let i = 0;
  while (i < n && counts.length < SCORED_RECORDS) {
    if (text.startsWith(lb, i)) {
      i += lb.length;
      continue;
    }
    let fields = 1;
    let ended = false;
    for (;;) {
      if (text.charCodeAt(i) === 34) {
        let from = i + 1;
        for (;;) {
          const q = text.indexOf('"', from);
          if (q < 0) {
            i = n;
            break;
          }
          if (text.charCodeAt(q + 1) === 34) {
            from = q + 2;
            continue;
          }
          let k = q + 1;
          while (k < n && text[k] !== d && !text.startsWith(lb, k) && isSpace(text, k)) k++;
          if (k === n || text[k] === d || text.startsWith(lb, k)) {
            i = k;
            break;
          }
          from = q + 1;
        }
      } else {
        // The next delimiter and line break are searched again only once
        // passed, so a record costs its length, not length × fields.
        if (nextD !== -1 && nextD < i) nextD = text.indexOf(d, i);
        if (nextLb !== -1 && nextLb < i) nextLb = text.indexOf(lb, i);
        if (nextD >= 0 && (nextLb < 0 || nextD < nextLb)) i = nextD;
        else i = nextLb >= 0 ? nextLb : n;
      }
      if (i >= n) break;
      if (text.startsWith(d, i)) {
        fields++;
        i += d.length;
        if (i >= n) break;
        continue;
      }
      i += lb.length;
      ended = true;
      break;
    }
    if (!ended && cut) break;
    counts.push(fields);
  }
  return counts;
}

/**
 * score is how well a candidate's field counts fit a table: null when the
 * candidate gives fewer than two fields on half of the records or more,
 * else the number of records sharing the most common count of two or more
 * fields, out of all the records.
 */
function score(counts: readonly number[]): { same: number; of: number } | null {
  let multi = 0;
  const freq = new Map<number, number>();
  for (const c of counts) {
    if (c < 2) continue;
    multi++;
    freq.set(c, (freq.get(c) ?? 0) + 1);
  }
  if (2 * multi <= counts.length) return null;
  let same = 0;
  for (const f of freq.values()) same = Math.max(same, f);
  return { same, of: counts.length };
}

/**
 * sniffDialect detects the dialect of a text from its start, sample: a
 * sep= line if there is one, then the line break of the rest, then the
 * delimiter — the sep= line's, or the candidate whose field counts are the
 * most consistent (see score), the earliest of CANDIDATES on a tie, "," when
 * none fits. cut says that the text goes on after sample.
 */
export function sniffDialect(sample: string, cut = false): Dialect {
  const sep = sepLine(sample);
  const rest = sep ? sample.slice(sep.length) : sample;
  const linebreak = detectLinebreak(rest);
  if (sep) return { delimiter: sep.delimiter, linebreak, skip: sep.length };
  let delimiter: string = DEFAULT_DELIMITER;
  let best: { same: number; of: number } | null = null;
  for (const d of CANDIDATES) {
    const s = score(fieldCounts(rest, d, linebreak, cut));
    // Ratios compared exactly: same/of > best.same/best.of.
    if (s && (!best || s.same * best.of > best.same * s.of)) {
      best = s;
      delimiter = d;
    }
  }
  return { delimiter, linebreak, skip: 0 };
}

/** detectDelimiter is the delimiter sniffDialect finds in sample. */
export function detectDelimiter(sample: string, cut = false): string {
  return sniffDialect(sample, cut).delimiter;
}
