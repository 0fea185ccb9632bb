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
  const validator: Validator = new Validator(
    template,
    new MemoryUniqueness((column, n) => {
      const i = table.indexOf(n);
      return i < 0 ? null : validator.uniqueKey(column, table.row(i)[column]);
    }),
  );
  return validator;
}

/** The part of the rule engine (Validator) the edit paths use. */
export interface Forgetter {
  forget(cells: readonly (string | null | undefined)[], row: number): void;
}

/** The review grid as the edit paths see it. */
export interface ReviewGrid {
  /** Cells of the row at index i (grid order) in template column order. */
  row(i: number): readonly (string | null)[];
  /** Sets one cell of the row at index i. */
  set(i: number, column: number, value: string): void;
  /** Whether some cell of the row at index i may contain text; false is certain. */
  mayInclude(i: number, text: string): boolean;
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
