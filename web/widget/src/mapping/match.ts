// Column matching: propose, for each header of a file, the template column
// it most likely holds, with a confidence, never giving one column to two
// headers. A port of the Go package internal/mapping (MatchValues); both
// follow docs/templates.md, "Column matching", and pass the shared vectors.

import { trim, utf8Length } from "../validate/text.ts";
import { analyse, parentOf, type Analysis } from "./concepts.ts";
import { bagDistance, dice, normalise, osa } from "./normalise.ts";

/** A template column as matching sees it. */
export interface MatchColumn {
  readonly key: string;
  readonly label?: string;
  readonly type?: string;
  readonly synonyms?: readonly string[];
}

/** A confidence in words, as the matching step shows it. */
export type Level = "exact" | "likely" | "guess" | "learned";

/** A learned mapping of the importer: a header (compared normalised) and the key an end user chose for it (Go: mapping.LearnedPair). */
export interface LearnedPair {
  readonly header: string;
  readonly key: string;
}

/** The proposal for one header: a column key or null, with its confidence in [0, 1] (1 = exact key or label) and level. */
export interface Match {
  readonly header: string;
  readonly key: string | null;
  readonly confidence: number;
  readonly level: Level | null;
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
// Concept scores in points (hundredths): integers, so both engines agree to the bit.
const POINTS_CONCEPT = 85;
const POINTS_PARENT = 70;
const POINTS_UNKNOWN = 5;
const POINTS_INDEX = 10;
const POINTS_OWNER = 1;
const POINTS_WEAK = 5;
const MAX_UNKNOWN = 2;
// Value hints: a share of valid sampled values.
const HINT_GOOD = 0.9;
const HINT_BAD = 0.1;
const HINT_BONUS = 0.05;
const HINT_CAP = 0.94;
const SCORE_VALUES = 0.5;

/** levelOf is the level of a confidence: exact from 0.95, likely from 0.75, guess below (Go: LevelOf). */
export function levelOf(confidence: number): Level | null {
  if (confidence <= 0) return null;
  if (confidence >= 0.95) return "exact";
  if (confidence >= 0.75) return "likely";
  return "guess";
}

interface Target {
  readonly raw: string;
  readonly norm: string;
  readonly compact: string;
  /** Distinct tokens, for Dice. */
  readonly set: readonly string[];
  /** Code points of compact, and the same sorted (for the bag-distance bound). */
  readonly runes: readonly string[];
  readonly letters: readonly number[];
  readonly compactBytes: number;
  readonly synonym: boolean;
}

interface ColumnConcept {
  readonly concept: string;
  readonly parent: string;
  readonly unknown: readonly string[];
  readonly index: number;
}

function target(s: string, synonym: boolean): Target {
  const norm = normalise(s);
  const compact = norm.replaceAll(" ", "");
  const runes = [...compact];
  const letters = runes.map((r) => r.codePointAt(0) ?? 0).sort((a, b) => a - b);
  return { raw: trim(s), norm, compact, set: [...new Set(norm === "" ? [] : norm.split(" "))], runes, letters, compactBytes: utf8Length(compact), synonym };
}

/**
 * fuzzyRatio is the larger of token Dice and character similarity; the
 * distance is skipped when a lower bound of it (length difference, then bag
 * distance) shows it cannot reach the threshold or beat Dice (Go: fuzzyRatio).
 */
function fuzzyRatio(h: Target, t: Target): number {
  const d = dice(h.set, t.set);
  const n = Math.max(h.runes.length, t.runes.length);
  if (n === 0) return d;
  let bound = 1 - (n - Math.min(h.runes.length, t.runes.length)) / n;
  if (bound < FUZZY_THRESHOLD || bound <= d) return d;
  bound = 1 - bagDistance(h.letters, t.letters) / n;
  if (bound < FUZZY_THRESHOLD || bound <= d) return d;
  return Math.max(d, 1 - osa(h.runes, t.runes) / n);
}

/** score is the best name score of header h against a column's targets, 0 if none. */
function score(h: Target, targets: readonly Target[], fuzzy: boolean): number {
  let best = 0;
  for (const t of targets) {
    let s = 0;
    if (!t.synonym && h.raw === t.raw) s = SCORE_EXACT;
    else if (h.norm !== "" && (h.norm === t.norm || h.compact === t.compact)) s = t.synonym ? SCORE_SYNONYM : SCORE_NORMALISED;
    else if (fuzzy && h.compactBytes <= MAX_FUZZY_BYTES && t.compactBytes <= MAX_FUZZY_BYTES) {
      const r = fuzzyRatio(h, t);
      if (r >= FUZZY_THRESHOLD) s = FUZZY_WEIGHT * r;
    }
    best = Math.max(best, s);
  }
  return best;
}

/** unrelated: a header read whole as a concept the column, tied to some, is not tied to (Go: unrelated). */
function unrelated(a: Analysis, parent: string, cs: readonly ColumnConcept[]): boolean {
  const c = a.concept;
  if (c === "" || a.unknown.length > 0 || cs.length === 0) return false;
  return !cs.some((x) => c === x.concept || parent === x.concept || x.parent === c);
}

/** symmetricDifference counts the distinct words in one list and not the other. */
function symmetricDifference(a: readonly string[], b: readonly string[]): number {
  let n = 0;
  a.forEach((x, i) => {
    if (!b.includes(x) && !a.slice(0, i).includes(x)) n++;
  });
  b.forEach((x, i) => {
    if (!a.includes(x) && !b.slice(0, i).includes(x)) n++;
  });
  return n;
}

/** conceptScore is the score of a header's analysis for a column tied to concepts cs (Go: conceptScore). */
function conceptScore(a: Analysis, parent: string, cs: readonly ColumnConcept[]): number {
  if (a.qualified || a.concept === "") return 0;
  let best = 0;
  for (const c of cs) {
    let base: number;
    if (a.concept === c.concept) base = POINTS_CONCEPT;
    else if (parent === c.concept) base = POINTS_PARENT;
    else continue;
    const diff = symmetricDifference(a.unknown, c.unknown);
    if (diff > MAX_UNKNOWN) continue;
    let p = base - POINTS_UNKNOWN * diff - POINTS_OWNER * a.owners;
    if (a.weak) p -= POINTS_WEAK;
    if (a.index !== c.index) p -= POINTS_INDEX;
    best = Math.max(best, p);
  }
  return best / 100;
}

/** hinted applies a value hint to a name score (Go: hinted). */
function hinted(s: number, hint: number, type: string | undefined): number {
  if (hint < 0) return s;
  if (hint <= HINT_BAD) return s < SCORE_NORMALISED ? 0 : s;
  if (hint >= HINT_GOOD) {
    if (s > 0 && s < SCORE_NORMALISED) return Math.min(HINT_CAP, s + HINT_BONUS);
    if (s === 0 && (type === "email" || type === "url")) return SCORE_VALUES;
  }
  return s;
}

function columnsOf(template: unknown): MatchColumn[] {
  const cols = (template as { columns?: unknown } | null)?.columns;
  if (!Array.isArray(cols)) return [];
  return cols.filter((c): c is MatchColumn => typeof c === "object" && c !== null && typeof (c as MatchColumn).key === "string");
}

/**
 * matchColumns proposes a column for every header of a file, given the
 * template JSON and, optionally, value hints: hints[i][j] is the share of
 * header i's sampled values that column j accepts, -1 for none (valueHints
 * computes them in the worker; only these numbers reach the matcher).
 * Candidates are taken strongest first (ties: earlier header, then earlier
 * column), and a column already taken is never proposed again.
 */
export function matchColumns(
  template: unknown,
  headers: readonly string[],
  hints?: readonly (readonly number[])[],
  learned?: readonly LearnedPair[],
): Match[] {
  const cols = columnsOf(template);
  // Learned mappings first (Go: MatchLearned): a header whose normalised form
  // was learned takes its learned key, if that is a column no earlier header took.
  const taken: number[] = headers.map(() => -1);
  const used = new Set<number>();
  if (learned && learned.length > 0) {
    const byHeader = new Map<string, string>();
    for (const p of learned) {
      const n = normalise(p.header);
      if (n !== "" && !byHeader.has(n)) byHeader.set(n, p.key);
    }
    headers.forEach((raw, i) => {
      if (trim(raw) === "") return;
      const key = byHeader.get(normalise(raw));
      const j = key === undefined ? -1 : cols.findIndex((c) => c.key === key);
      if (j >= 0 && !used.has(j)) {
        taken[i] = j;
        used.add(j);
      }
    });
  }
  const targets: Target[][] = [];
  const concepts: ColumnConcept[][] = [];
  for (const c of cols) {
    const label = typeof c.label === "string" && c.label !== "" ? c.label : c.key;
    const synonyms = Array.isArray(c.synonyms) ? c.synonyms.filter((s) => typeof s === "string") : [];
    targets.push([target(c.key, false), target(label, false), ...synonyms.map((s) => target(s, true))]);
    const cc: ColumnConcept[] = [];
    for (const n of [c.key, label, ...synonyms]) {
      const a = analyse(n);
      if (a.concept !== "" && !a.qualified) cc.push({ concept: a.concept, parent: parentOf(a.concept), unknown: a.unknown, index: a.index });
    }
    concepts.push(cc);
  }
  const analyses = headers.map((h) => analyse(h));
  const given = analyses.some((a) => a.concept === "given_name");
  const family = analyses.some((a) => a.concept === "family_name");
  // A bare "Name" beside a given name and no family name is the family name
  // ("Vorname, Name"), and the converse; its name scores stay off full-name columns
  // when the template has a column for what it is.
  const renamed = analyses.map((a) => {
    if (!a.bare || a.concept !== "full_name") return false;
    if (given && !family) a.concept = "family_name";
    else if (family && !given) a.concept = "given_name";
    else return false;
    return concepts.some((cs) => cs.some((x) => x.concept === a.concept));
  });
  const cands: { header: number; column: number; score: number }[] = [];
  headers.forEach((raw, i) => {
    if (trim(raw) === "" || taken[i]! >= 0) return;
    const h = target(raw, false);
    if (h.norm === "") return;
    const a = analyses[i]!;
    const parent = parentOf(a.concept);
    // A header holding a field separator is a row read with the wrong one ("Name;Email").
    const split = /[;|\t]/.test(raw);
    for (let j = 0; j < cols.length; j++) {
      const cc = concepts[j]!;
      const fuzzy = !split && !a.qualified && !unrelated(a, parent, cc);
      const name = !renamed[i] || !cc.some((x) => x.concept === "full_name") ? score(h, targets[j]!, fuzzy) : 0;
      let s = split ? name : Math.max(name, conceptScore(a, parent, cc));
      const hint = hints?.[i]?.[j];
      if (hint !== undefined) s = hinted(s, hint, cols[j]!.type);
      if (s > 0) cands.push({ header: i, column: j, score: s });
    }
  });
  cands.sort((a, b) => b.score - a.score || a.header - b.header || a.column - b.column);
  const out: Match[] = headers.map((header, i) => {
    const j = taken[i]!;
    return j >= 0 ? { header, key: cols[j]?.key ?? null, confidence: 1, level: "learned" } : { header, key: null, confidence: 0, level: null };
  });
  for (const c of cands) {
    if (out[c.header]?.key !== null || used.has(c.column)) continue;
    used.add(c.column);
    out[c.header] = { header: headers[c.header] ?? "", key: cols[c.column]?.key ?? null, confidence: c.score, level: levelOf(c.score) };
  }
  return out;
}
