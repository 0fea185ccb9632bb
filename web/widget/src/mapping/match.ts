// Column matching: propose, for each header of a file, the template column
// it most likely holds, with a confidence, never giving one column to two
// headers.

import { forms, similarity, type Forms } from "./normalise.ts";

/** A template column as matching sees it. */
export interface MatchColumn {
  readonly key: string;
  readonly label?: string;
  readonly synonyms?: readonly string[];
}

/** How a header was matched, strongest first. */
export type MatchKind = "exact" | "normalised" | "synonym" | "reordered" | "fuzzy";

/** The proposal for one header: a column key or null, with its confidence in [0, 1]. */
export interface Match {
  readonly header: string;
  readonly key: string | null;
  readonly confidence: number;
  readonly kind: MatchKind | null;
}

/** FUZZY_THRESHOLD is the lowest similarity a fuzzy match may have. */
export const FUZZY_THRESHOLD = 0.75;

interface Name {
  readonly forms: Forms;
  readonly synonym: boolean;
}

interface Candidate {
  readonly header: number;
  readonly column: number;
  readonly score: number;
  readonly kind: MatchKind;
}

function columnsOf(template: unknown): MatchColumn[] {
  const cols = (template as { columns?: unknown } | null)?.columns;
  if (!Array.isArray(cols)) return [];
  return cols.filter((c): c is MatchColumn => typeof c === "object" && c !== null && typeof (c as MatchColumn).key === "string");
}

/** score rates header against one column's names; null when nothing is close. */
function score(raw: string, h: Forms, col: MatchColumn, names: readonly Name[]): [number, MatchKind] | null {
  if (raw.trim() === col.key || raw.trim() === col.label) return [1, "exact"];
  let best: [number, MatchKind] | null = null;
  const keep = (s: number, k: MatchKind): void => {
    if (best === null || s > best[0]) best = [s, k];
  };
  for (const n of names) {
    if (h.spaced === n.forms.spaced || h.compact === n.forms.compact) keep(n.synonym ? 0.9 : 0.95, n.synonym ? "synonym" : "normalised");
    else if (h.bag === n.forms.bag) keep(0.85, "reordered");
    else {
      const s = similarity(h.compact, n.forms.compact) * 0.8;
      if (s >= FUZZY_THRESHOLD * 0.8) keep(s, "fuzzy");
    }
  }
  return best;
}

/**
 * matchColumns proposes a column for every header of a file. Candidates are
 * taken strongest first (ties: earlier header, then earlier column), so an
 * exact "Email" wins the email column over a fuzzy or partial header, and a
 * column already taken is never proposed again.
 */
export function matchColumns(template: unknown, headers: readonly string[]): Match[] {
  const cols = columnsOf(template);
  const names = cols.map((c) => [
    { forms: forms(c.key), synonym: false },
    { forms: forms(c.label ?? c.key), synonym: false },
    ...(c.synonyms ?? []).map((s) => ({ forms: forms(s), synonym: true })),
  ]);
  const candidates: Candidate[] = [];
  headers.forEach((raw, hi) => {
    const h = forms(raw);
    if (h.compact === "") return;
    cols.forEach((col, ci) => {
      const s = score(raw, h, col, names[ci] ?? []);
      if (s !== null) candidates.push({ header: hi, column: ci, score: s[0], kind: s[1] });
    });
  });
  candidates.sort((a, b) => b.score - a.score || a.header - b.header || a.column - b.column);
  const out: Match[] = headers.map((header) => ({ header, key: null, confidence: 0, kind: null }));
  const taken = new Set<number>();
  const done = new Set<number>();
  for (const c of candidates) {
    if (taken.has(c.column) || done.has(c.header)) continue;
    taken.add(c.column);
    done.add(c.header);
    out[c.header] = { header: headers[c.header] ?? "", key: cols[c.column]?.key ?? null, confidence: Math.round(c.score * 100) / 100, kind: c.kind };
  }
  return out;
}
