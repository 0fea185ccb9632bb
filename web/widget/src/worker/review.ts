// Uniqueness bookkeeping of the review grid's edits and deletions, apart
// from the worker's message plumbing so that Node tests can drive it.
//
// A row that claimed a unique value must give it up before it changes or
// goes away, and the rows that were flagged "duplicate of row N" because of
// it must be checked again: the first of them in grid order now claims the
// value and the others become duplicates of that row.

import { MemoryUniqueness, Validator } from "../validate/index.ts";
import type { RowTable } from "../rows/store.ts";

/**
 * tableValidator is the rule engine for the rows of table: its uniqueness
 * keeps a hash and a row number per claim, no key, and reads a claiming
 * row's key back from the table when hashes match.
 */
export function tableValidator(template: unknown, table: RowTable): Validator {
  return tableRules(template, table).validator;
}

/** tableRules is tableValidator with its uniqueness, for claims by hash (rows checked by helper workers). */
export function tableRules(template: unknown, table: RowTable): { validator: Validator; uniqueness: MemoryUniqueness } {
  const uniqueness = new MemoryUniqueness((column, n) => {
    const i = table.indexOf(n);
    return i < 0 ? null : validator.uniqueKey(column, table.row(i)[column]);
  }, table.length);
  const validator: Validator = new Validator(template, uniqueness);
  return { validator, uniqueness };
}

/** The part of the rule engine (Validator) the edit paths use. */
export interface Forgetter {
  forget(cells: readonly (string | null | undefined)[], row: number): void;
  /** The key a cell claims in a unique column (null: none); a change that keeps it needs no forget. */
  uniqueKey(column: number, cell: string | null | undefined): string | null;
}

/** The review grid as the edit paths see it. */
export interface ReviewGrid {
  /** Cells of the row at index i (grid order) in template column order. */
  row(i: number): readonly (string | null)[];
  /** Sets one cell of the row at index i. */
  set(i: number, column: number, value: string): void;
  /** Whether some cell of the row at index i may contain text; false is certain. */
  mayInclude(i: number, text: string): boolean;
  /** One cell of the row at index i, as row(i)[column] ("" for a null past a short row's end), when the grid can read it alone. */
  cell?(i: number, column: number): string | null;
  /** Rows [0, checked) have been validated; later rows hold no claims yet. */
  readonly checked: number;
  /** Data row number (what "duplicate of row N" names) of the row at index i. */
  number(i: number): number;
  /** Validates the row at index i again and stores its errors. */
  check(i: number): void;
  /** Whether the row at index i is flagged as a duplicate of one of these row numbers. */
  duplicateOf(i: number, numbers: ReadonlySet<number>): boolean;
}

/**
 * editCell sets one cell of the row at index i. A validated row first
 * forgets its old unique values, is checked again, and then every row that
 * was a duplicate of it is checked again too (one pass over the grid, each
 * such row validated once). Returns how many other rows were checked again.
 */
export function editCell(v: Forgetter, grid: ReviewGrid, i: number, column: number, value: string): number {
  // Rows past the validation front are checked when the front gets there.
  if (i >= grid.checked) {
    grid.set(i, column, value);
    return 0;
  }
  v.forget(grid.row(i), grid.number(i));
  grid.set(i, column, value);
  grid.check(i);
  return recheckDuplicatesOf(grid, new Set([grid.number(i)]));
}

/**
 * forgetRows releases the unique values of the validated rows at indexes
 * (rows about to change or be deleted) and returns their row numbers, for
 * recheckDuplicatesOf once the change is done.
 */
export function forgetRows(v: Forgetter, grid: ReviewGrid, indexes: Iterable<number>): Set<number> {
  const freed = new Set<number>();
  for (const i of indexes) {
    if (i >= grid.checked) continue;
    v.forget(grid.row(i), grid.number(i));
    freed.add(grid.number(i));
  }
  return freed;
}

/**
 * recheckDuplicatesOf validates again, in grid order, every validated row
 * flagged as a duplicate of one of the rows numbered in freed. A row still
 * holding the value (re-claimed it) keeps the flag right; a value given up
 * goes to the first flagged row. Cost: one duplicateOf per validated row.
 * Returns how many rows were checked again.
 */
export function recheckDuplicatesOf(grid: ReviewGrid, freed: ReadonlySet<number>): number {
  let rechecked = 0;
  if (freed.size === 0) return rechecked;
  for (let i = 0; i < grid.checked; i++) {
    if (!grid.duplicateOf(i, freed)) continue;
    grid.check(i);
    rechecked++;
  }
  return rechecked;
}

/**
 * replaceText replaces find by replacement in every cell of column (of
 * every column when null) of the validated rows. A row that changes gives
 * its unique values up first and is checked again; then the rows that were
 * duplicates of a changed row are. Returns how many cells changed.
 */
export function replaceText(v: Forgetter, grid: ReviewGrid, find: string, replacement: string, column: number | null): number {
  let replaced = 0;
  if (find === "") return replaced;
  const freed = new Set<number>();
  for (let i = 0; i < grid.checked; i++) {
    if (!grid.mayInclude(i, find)) continue;
    const row = grid.row(i);
    let changed = false;
    for (let c = 0; c < row.length; c++) {
      const value = row[c];
      if ((column !== null && c !== column) || value == null || !value.includes(find)) continue;
      if (!changed) {
        v.forget(row, grid.number(i));
        freed.add(grid.number(i));
        changed = true;
      }
      grid.set(i, c, value.split(find).join(replacement));
      replaced++;
    }
    if (changed) grid.check(i);
  }
  recheckDuplicatesOf(grid, freed);
  return replaced;
}

/**
 * The cells a step of the review changed, kept compactly so that undoing a
 * bulk fix over a million rows stores only the cells it changed: row
 * number, column, and the value to put back (the one before the change, or
 * after it once undone).
 */
export class CellChanges {
  private numbers: number[] = [];
  private columns: number[] = [];
  values: (string | null)[] = [];

  /** Records that cell (n, column) held value before it changed. */
  add(n: number, column: number, value: string | null): void {
    this.numbers.push(n);
    this.columns.push(column);
    this.values.push(value);
  }

  get size(): number {
    return this.numbers.length;
  }

  number(k: number): number {
    return this.numbers[k]!;
  }

  column(k: number): number {
    return this.columns[k]!;
  }
}

/** One step of the review that can be undone and redone. */
export type HistoryStep =
  | { kind: "cells"; changes: CellChanges }
  /** Rows deleted, by number, with the edits they had; undone by restoring them. */
  | { kind: "delete"; numbers: number[]; edits: Map<number, (string | null)[]> }
  /** Rows restored by an undo; redone by deleting them again. */
  | { kind: "restore"; numbers: number[]; edits: Map<number, (string | null)[]> };

/** What undo and redo need from the table besides the grid. */
export interface HistoryTable {
  indexOf(n: number): number;
  /** Deletes the rows at these indexes and returns their edits by row number. */
  remove(indexes: ReadonlySet<number>): Map<number, (string | null)[]>;
  restore(numbers: readonly number[], edits: ReadonlyMap<number, (string | null)[]>): void;
}

/** How many steps back the review can go. */
const HISTORY_STEPS = 100;

/**
 * History is the undo and redo stacks of the review. Applying a step swaps
 * it for its inverse (cells hold the other value afterwards, a deletion
 * becomes a restore), which goes on the other stack: each step is stored
 * once, whichever way it was last applied.
 */
export class History {
  private readonly undos: HistoryStep[] = [];
  private readonly redos: HistoryStep[] = [];

  get undoCount(): number {
    return this.undos.length;
  }

  get redoCount(): number {
    return this.redos.length;
  }

  /** Records a step just done by the user: redo is over. */
  push(step: HistoryStep): void {
    if (step.kind === "cells" && step.changes.size === 0) return;
    this.undos.push(step);
    if (this.undos.length > HISTORY_STEPS) this.undos.shift();
    this.redos.length = 0;
  }

  /** Undoes the last step; returns it (now its inverse) or null when there is none. */
  undo(apply: (step: HistoryStep) => HistoryStep): HistoryStep | null {
    const step = this.undos.pop();
    if (!step) return null;
    const inverse = apply(step);
    this.redos.push(inverse);
    return inverse;
  }

  /** Redoes the last undone step. */
  redo(apply: (step: HistoryStep) => HistoryStep): HistoryStep | null {
    const step = this.redos.pop();
    if (!step) return null;
    const inverse = apply(step);
    this.undos.push(inverse);
    return inverse;
  }
}

/**
 * applyCells puts back the values of a cells step (rows in it are checked
 * again, as an edit would, and the rows that were duplicates of them) and
 * returns the step to put them back again.
 */
export function applyCells(v: Forgetter, grid: ReviewGrid, table: Pick<HistoryTable, "indexOf">, changes: CellChanges): HistoryStep {
  const byIndex = new Map<number, number[]>();
  for (let k = 0; k < changes.size; k++) {
    const i = table.indexOf(changes.number(k));
    if (i < 0) continue;
    let list = byIndex.get(i);
    if (!list) byIndex.set(i, (list = []));
    list.push(k);
  }
  const freed = new Set<number>();
  for (const [i, ks] of byIndex) {
    const row = grid.row(i);
    const validated = i < grid.checked;
    // Only a change of a unique column's key moves claims (a row claiming the same key again is harmless).
    if (validated && ks.some((k) => v.uniqueKey(changes.column(k), row[changes.column(k)]) !== v.uniqueKey(changes.column(k), changes.values[k]))) {
      v.forget(row, grid.number(i));
      freed.add(grid.number(i));
    }
    for (const k of ks) {
      const c = changes.column(k);
      const now = row[c] ?? null;
      grid.set(i, c, changes.values[k] ?? "");
      changes.values[k] = now;
    }
    if (validated) grid.check(i);
  }
  recheckDuplicatesOf(grid, freed);
  return { kind: "cells", changes };
}

/** A quick fix of a column's cells, run in the worker over every row (or the rows given). */
export type Fix =
  | { kind: "trim" }
  | { kind: "case"; to: "upper" | "lower" | "title" }
  /** Plain text replaced wherever it occurs, or, with regex, every whole cell the pattern matches (the template's safe engine). */
  | { kind: "replace"; find: string; replace: string; regex: boolean }
  | { kind: "fill"; value: string };

/** A whole-value matcher (validate/regex.ts's). */
export interface ValueMatcher {
  test(value: string): boolean;
}

/**
 * fixFunction returns what a fix makes of a cell's value: the new value, or
 * undefined when the cell stays as it is. matcher is the compiled pattern
 * of a regex replace.
 */
export function fixFunction(fix: Fix, matcher?: ValueMatcher): (value: string | null) => string | undefined {
  switch (fix.kind) {
    case "trim":
      return (v) => {
        if (v === null || v === "") return undefined;
        const t = v.trim();
        return t === v ? undefined : t;
      };
    case "case":
      return (v) => {
        if (v === null || v === "") return undefined;
        const t = fix.to === "upper" ? v.toUpperCase() : fix.to === "lower" ? v.toLowerCase() : v.toLowerCase().replace(/(^|[\s\-'’])(\p{L})/gu, (_, sep: string, ch: string) => sep + ch.toUpperCase());
        return t === v ? undefined : t;
      };
    case "fill":
      return (v) => (v === null || v.trim() === "" ? (v === fix.value ? undefined : fix.value) : undefined);
    case "replace":
      if (fix.regex) {
        if (!matcher) throw new Error("fixFunction: a regex replace needs its matcher");
        return (v) => (v !== null && matcher.test(v) && v !== fix.replace ? fix.replace : undefined);
      }
      if (fix.find === "") return () => undefined;
      return (v) => {
        if (v === null || !v.includes(fix.find)) return undefined;
        return v.split(fix.find).join(fix.replace);
      };
  }
}

/**
 * fixCells applies change to the cells of columns (null: every column) of
 * the validated rows (only the indexes given, when given), recording each
 * changed cell's old value in changes. A changed row gives its unique
 * values up first and is checked again; then the rows that were duplicates
 * of a changed row are. Returns how many cells changed.
 */
export function fixCells(v: Forgetter, grid: ReviewGrid, change: (value: string | null) => string | undefined, column: number | null, changes: CellChanges, indexes?: Iterable<number>, quick?: string): number {
  let count = 0;
  const freed = new Set<number>();
  const visit = (i: number): void => {
    if (quick !== undefined && !grid.mayInclude(i, quick)) return;
    // One column: most rows are passed over by reading that cell alone.
    if (column !== null && grid.cell && change(grid.cell(i, column)) === undefined) return;
    const row = grid.row(i);
    const from = column ?? 0;
    const to = column === null ? row.length : column + 1;
    let found: (number | string)[] | null = null;
    let claims = false;
    for (let c = from; c < to; c++) {
      const value = row[c] ?? null;
      const next = change(value);
      if (next === undefined) continue;
      (found ??= []).push(c, next);
      if (!claims && v.uniqueKey(c, value) !== v.uniqueKey(c, next)) claims = true;
    }
    if (!found) return;
    const n = grid.number(i);
    // Only a change of a unique column's key moves claims (a row claiming the same key again is harmless).
    if (claims) {
      v.forget(row, n);
      freed.add(n);
    }
    for (let k = 0; k < found.length; k += 2) {
      const c = found[k] as number;
      changes.add(n, c, row[c] ?? null);
      grid.set(i, c, found[k + 1] as string);
      count++;
    }
    grid.check(i);
  };
  if (indexes) {
    for (const i of indexes) if (i >= 0 && i < grid.checked) visit(i);
  } else for (let i = 0; i < grid.checked; i++) visit(i);
  recheckDuplicatesOf(grid, freed);
  return count;
}
