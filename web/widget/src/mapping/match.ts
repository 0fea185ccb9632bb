// Column matching: propose, for each header of a file, the template column
// it most likely holds, with a confidence, never giving one column to two
// headers. A port of the Go package internal/mapping (Match).

import { trim, utf8Length } from "../validate/text.ts";
import { dice, normalise, similarity } from "./normalise.ts";

/** A template column as matching sees it. */
export interface MatchColumn {
  readonly key: string;
  readonly label?: string;
  readonly synonyms?: readonly string[];
}

/** The proposal for one header: a column key or null, with its confidence in [0, 1] (1 = exact key or label). */
export interface Match {
  readonly header: string;
  readonly key: string | null;
  readonly confidence: number;
}

// Scores of the match kinds, from the most to the least certain (Go: the same constants).
const SCORE_EXACT = 1;
const SCORE_NORMALISED = 0.95;
const SCORE_SYNONYM = 0.9;
const FUZZY_WEIGHT = 0.8;
/** FUZZY_THRESHOLD is the lowest token or character similarity a fuzzy match may have. */
export const FUZZY_THRESHOLD = 0.75;
/** Fuzzy scores only for compact forms of at most this many UTF-8 bytes (Go: maxFuzzyBytes; the distance is quadratic). */
const MAX_FUZZY_BYTES = 64;

interface Target {
  readonly raw: string;
  readonly norm: string;
  readonly compact: string;
  readonly tokens: readonly string[];
  readonly compactBytes: number;
  readonly synonym: boolean;
}

function target(s: string, synonym: boolean): Target {
  const norm = normalise(s);
  const compact = norm.replaceAll(" ", "");
  return { raw: trim(s), norm, compact, tokens: norm === "" ? [] : norm.split(" "), compactBytes: utf8Length(compact), synonym };
}

/** score is the best score of header h against a column's targets, 0 if none. */
function score(h: Target, targets: readonly Target[]): number {
  let best = 0;
  for (const t of targets) {
    let s = 0;
    if (!t.synonym && h.raw === t.raw) s = SCORE_EXACT;
    else if (h.norm !== "" && (h.norm === t.norm || h.compact === t.compact)) s = t.synonym ? SCORE_SYNONYM : SCORE_NORMALISED;
    else if (h.compactBytes <= MAX_FUZZY_BYTES && t.compactBytes <= MAX_FUZZY_BYTES) {
      const r = Math.max(dice(h.tokens, t.tokens), similarity(h.compact, t.compact));
      if (r >= FUZZY_THRESHOLD) s = FUZZY_WEIGHT * r;
    }
    best = Math.max(best, s);
  }
  return best;
}

function columnsOf(template: unknown): MatchColumn[] {
  const cols = (template as { columns?: unknown } | null)?.columns;
  if (!Array.isArray(cols)) return [];
  return cols.filter((c): c is MatchColumn => typeof c === "object" && c !== null && typeof (c as MatchColumn).key === "string");
}

/**
 * matchColumns proposes a column for every header of a file, given the
 * template JSON. Candidates are taken strongest first (ties: earlier header,
 * then earlier column), so an exact "Email" wins the email column over
 * "Email consent", and a column already taken is never proposed again.
 */
export function matchColumns(template: unknown, headers: readonly string[]): Match[] {
  const cols = columnsOf(template);
  const targets = cols.map((c) => [
    target(c.key, false),
    target(typeof c.label === "string" && c.label !== "" ? c.label : c.key, false),
    ...(Array.isArray(c.synonyms) ? c.synonyms.filter((s) => typeof s === "string") : []).map((s) => target(s, true)),
  ]);
  const cands: { header: number; column: number; score: number }[] = [];
  headers.forEach((raw, i) => {
    if (trim(raw) === "") return;
    const h = target(raw, false);
    targets.forEach((ts, j) => {
      const s = score(h, ts);
      if (s > 0) cands.push({ header: i, column: j, score: s });
    });
  });
  cands.sort((a, b) => b.score - a.score || a.header - b.header || a.column - b.column);
  const out: Match[] = headers.map((header) => ({ header, key: null, confidence: 0 }));
  const used = new Set<number>();
  for (const c of cands) {
    if (out[c.header]?.key !== null || used.has(c.column)) continue;
    used.add(c.column);
    out[c.header] = { header: headers[c.header] ?? "", key: cols[c.column]?.key ?? null, confidence: c.score };
  }
  return out;
}
