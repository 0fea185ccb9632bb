// The one state of an import in the app, and what the steps derive from it
// without the DOM (Node tests drive these). Rows are not here: they stay in
// the worker; this is what the screens need to be drawn again.
import { matchColumns, type LearnedPair, type Level } from "../mapping/index.ts";
import type { OpenOptions } from "../protocol.ts";
import type { T } from "../i18n/i18n.ts";
import type { ColumnInfo, FileInfo, Summary } from "../worker/messages.ts";

/** How a file is opened: what the user forced in the pickers, whether it was pasted. */
export interface ReadOptions {
  encoding?: string;
  delimiter?: string;
  pasted?: boolean;
}

/** Everything the steps share, in one place; each step reads and sets its part. */
export interface ImportState {
  /** Options of Intake.open from the host page. */
  options: OpenOptions;
  /** The shipped locale in use. */
  locale: string;
  /** The template's columns, from the worker (configure). */
  columns: ColumnInfo[];
  /** The file or pasted text being imported, and how it is read. */
  file: { blob: Blob; name: string; read: ReadOptions } | null;
  /** How the worker read it. */
  info: FileInfo | null;
  /** The first rows, for the header step and the matching's examples. */
  preview: string[][];
  /** Index of the header row in the preview; -1: the file has none. */
  headerRow: number;
  /** The source column of each template column (null: not in the file). */
  mapping: (number | null)[];
  /**
   * The header row and matching the review was made with, while the user
   * may come back to it; null before the first review of a file or sheet.
   */
  reviewed: { headerRow: number; mapping: (number | null)[] } | null;
  /** The worker's latest counts of the review. */
  summary: Summary;
  /** Rows are being sent: closing now stops the upload (asked first). */
  sending: boolean;
  /** The import completed: closing loses nothing. */
  completed: boolean;
  /**
   * Value hints of a file and header row for matching (shares of valid
   * sampled values per file column and template column; no value).
   */
  hints: { info: FileInfo | null; headerRow: number; shares: number[][] } | null;
  /** The importer's learned pairs for the headers of this file and header row (learned.ts). */
  learned: { info: FileInfo | null; headerRow: number; pairs: LearnedPair[] } | null;
}

export function emptySummary(): Summary {
  return { rows: 0, checked: 0, rowsWithErrors: 0, rowsWithValues: 0, columnErrors: [], modified: false };
}

export function newState(locale: string): ImportState {
  return { options: {}, locale, columns: [], file: null, info: null, preview: [], headerRow: 0, mapping: [], reviewed: null, summary: emptySummary(), sending: false, completed: false, hints: null, learned: null };
}

/** Another file or sheet: the review of the last one is over. */
export function forgetReview(state: ImportState): void {
  state.reviewed = null;
  state.summary = emptySummary();
}

/**
 * Whether going on with this header row throws away the edits and deletions
 * made in review: the data rows would be others. (Another matching of the
 * same rows keeps them; the worker carries them over.)
 */
export function discardsReview(state: ImportState, row: number): boolean {
  return state.summary.modified && state.reviewed !== null && row !== state.reviewed.headerRow;
}

/** Spreadsheet column name of index i: A, B, …, Z, AA, … */
export function columnName(i: number): string {
  let name = "";
  for (let n = i + 1; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  return name;
}

/** Header names of the chosen header row (or Column A, B, … without one). */
export function headerNames(state: ImportState, t: T): string[] {
  return state.headerRow >= 0 ? (state.preview[state.headerRow] ?? []) : Array.from({ length: state.info?.width ?? 0 }, (_, i) => t("column_name", { name: columnName(i) }));
}

/** The value hints of the current file and header row, if the worker gave them. */
export function currentHints(state: ImportState): number[][] | undefined {
  const h = state.hints;
  return h && h.info === state.info && h.headerRow === state.headerRow ? h.shares : undefined;
}

/** The learned pairs of the current file and header row, once resolved (learned.ts). */
export function currentLearned(state: ImportState): LearnedPair[] | undefined {
  const l = state.learned;
  return l && l.info === state.info && l.headerRow === state.headerRow ? l.pairs : undefined;
}

/** The proposed source column of each template column, with its confidence and its level in words. */
export function propose(
  template: unknown,
  columns: readonly ColumnInfo[],
  headers: string[],
  hints?: number[][],
  learned?: readonly LearnedPair[],
): { mapping: (number | null)[]; confidence: number[]; level: (Level | null)[] } {
  // Matching proposes a column per header; the form shows a header per column.
  const proposals = matchColumns(template, headers, hints, learned);
  const confidence = columns.map(() => 0);
  const level: (Level | null)[] = columns.map(() => null);
  const proposed: (number | null)[] = columns.map(() => null);
  proposals.forEach((m, h) => {
    const c = m.key === null ? -1 : columns.findIndex((col) => col.key === m.key);
    if (c >= 0) {
      proposed[c] = h;
      confidence[c] = m.confidence;
      level[c] = m.level;
    }
  });
  return { mapping: proposed, confidence, level };
}

/** The matching to show for the current header row: the reviewed one, or the proposal. */
export function initialMapping(state: ImportState, template: unknown, t: T, learned?: readonly LearnedPair[]): (number | null)[] {
  const reviewed = state.reviewed;
  return reviewed && reviewed.headerRow === state.headerRow ? [...reviewed.mapping] : propose(template, state.columns, headerNames(state, t), currentHints(state), learned).mapping;
}

/** The most learned pairs one import sends, and the longest header learned (the server's bounds). */
export const MAX_LEARNED = 100;
export const MAX_LEARNED_HEADER = 200;

/**
 * The changes the user made to the proposal, as header → key pairs for the
 * importer to learn: each template column now matched to another header
 * than proposed. Header names only, never a cell value; none without a
 * header row (the names are then "Column A", …, not the file's).
 */
export function learnedChanges(state: ImportState, headers: readonly string[], proposed: readonly (number | null)[], mapping: readonly (number | null)[]): LearnedPair[] {
  if (state.headerRow < 0) return [];
  const out: LearnedPair[] = [];
  mapping.forEach((h, c) => {
    const header = h === null ? "" : (headers[h] ?? "");
    const key = state.columns[c]?.key;
    if (h === null || h === proposed[c] || key === undefined || header.trim() === "" || [...header].length > MAX_LEARNED_HEADER) return;
    if (out.length < MAX_LEARNED) out.push({ header, key });
  });
  return out;
}
