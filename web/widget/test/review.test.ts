// The review grid's edit paths (src/worker/review.ts) with the real rule
// engine: an edited or deleted row gives its unique values up, and the rows
// that were duplicates of it are checked again.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { ValidationError } from "../src/validate/index.ts";
import { packRows, RowTable } from "../src/rows/store.ts";
import { editCell, forgetRows, recheckDuplicatesOf, replaceText, tableValidator, type ReviewGrid } from "../src/worker/review.ts";

const TEMPLATE = { columns: [{ key: "name", type: "text" }, { key: "email", type: "email", unique: true, unique_ignore_case: true }] };

/**
 * A grid of validated rows numbered from 1 on the worker's own row table and
 * validator (uniqueness keeping hashes only), errors kept per row number as
 * the engine returns them.
 */
class Grid implements ReviewGrid {
  readonly table: RowTable;
  readonly v;
  errors = new Map<number, readonly ValidationError[]>();
  checked: number;

  constructor(rows: string[][]) {
    this.table = new RowTable(packRows([["name", "email"], ...rows]), 0, [0, 1]);
    this.v = tableValidator(TEMPLATE, this.table);
    this.checked = this.table.length;
    for (let i = 0; i < this.table.length; i++) this.check(i);
  }

  row(i: number): (string | null)[] {
    return this.table.row(i);
  }

  set(i: number, column: number, value: string): void {
    this.table.set(i, column, value);
  }

  number(i: number): number {
    return this.table.number(i);
  }

  mayInclude(i: number, text: string): boolean {
    return this.table.mayInclude(i, text);
  }

  check(i: number): void {
    this.errors.set(this.number(i), this.v.validateRow(this.row(i), this.number(i), new Array<string | null>(2).fill(null)));
  }

  duplicateOf(i: number, numbers: ReadonlySet<number>): boolean {
    return this.errors.get(this.number(i))!.some((e) => e.code === "duplicate" && numbers.has(Number(e.params?.["row"])));
  }

  /** Deletes the rows at indexes the way the worker does. */
  remove(indexes: number[]): void {
    const freed = forgetRows(this.v, this, indexes);
    for (const i of indexes) this.errors.delete(this.number(i));
    this.table.remove(new Set(indexes));
    this.checked = this.table.length;
    recheckDuplicatesOf(this, freed);
  }

  /** "duplicate of row N" per row (N, or null when the row is no duplicate), by row number. */
  duplicates(): Record<number, number | null> {
    const out: Record<number, number | null> = {};
    for (let i = 0; i < this.table.length; i++) {
      const d = this.errors.get(this.number(i))!.find((e) => e.code === "duplicate");
      out[this.number(i)] = d ? Number(d.params?.["row"]) : null;
    }
    return out;
  }
}

describe("review grid uniqueness", () => {
  test("editing the first of two equal emails frees the second", () => {
    const g = new Grid([["Ann", "a@example.com"], ["Bob", "A@example.com"]]);
    assert.deepEqual(g.duplicates(), { 1: null, 2: 1 });
    assert.equal(editCell(g.v, g, 0, 1, "ann@example.com"), 1, "rows checked again");
    assert.deepEqual(g.duplicates(), { 1: null, 2: null });
    // The value now belongs to row 2: a third claimant is its duplicate.
    editCell(g.v, g, 0, 1, "a@example.com");
    assert.deepEqual(g.duplicates(), { 1: 2, 2: null });
  });

  test("the first remaining duplicate takes the value over, the others follow it", () => {
    const g = new Grid([["Ann", "a@example.com"], ["Bob", "b@example.com"], ["Cy", "a@example.com"], ["Di", "a@example.com"]]);
    assert.deepEqual(g.duplicates(), { 1: null, 2: null, 3: 1, 4: 1 });
    editCell(g.v, g, 0, 1, "z@example.com");
    assert.deepEqual(g.duplicates(), { 1: null, 2: null, 3: null, 4: 3 });
  });

  test("editing another column keeps the row's claim", () => {
    const g = new Grid([["Ann", "a@example.com"], ["Bob", "a@example.com"]]);
    assert.equal(editCell(g.v, g, 0, 0, "Anna"), 1, "row 2 checked again, still row 1's duplicate");
    assert.deepEqual(g.duplicates(), { 1: null, 2: 1 });
  });

  test("deleting a row frees its value", () => {
    const g = new Grid([["Ann", "a@example.com"], ["Bob", "b@example.com"], ["Cy", "a@example.com"]]);
    g.remove([0]);
    assert.deepEqual(g.duplicates(), { 2: null, 3: null });
    // Free for good: a row edited to it later is no duplicate of the deleted row.
    editCell(g.v, g, 0, 1, "a@example.com");
    assert.deepEqual(g.duplicates(), { 2: 3, 3: null });
    g.remove([1]);
    editCell(g.v, g, 0, 1, "a@example.com");
    assert.deepEqual(g.duplicates(), { 2: null });
  });

  test("rows past the validation front are only edited", () => {
    const g = new Grid([["Ann", "a@example.com"], ["Bob", "a@example.com"]]);
    g.checked = 1;
    editCell(g.v, g, 1, 1, "b@example.com");
    assert.equal(g.row(1)[1], "b@example.com");
    assert.deepEqual(g.duplicates(), { 1: null, 2: 1 });
  });

  test("find & replace frees the values it changes and claims the new ones", () => {
    const g = new Grid([["Ann", "a@old.org"], ["Bob", "a@new.org"], ["Cy", "a@OLD.org"], ["Di", "d@old.org"]]);
    assert.deepEqual(g.duplicates(), { 1: null, 2: null, 3: 1, 4: null });
    // Rows 1 and 4 change: row 1 now has row 2's value (its duplicate), row 3 takes row 1's old one.
    assert.equal(replaceText(g.v, g, "old", "new", 1), 2);
    assert.deepEqual([0, 1, 2, 3].map((i) => g.row(i)[1]), ["a@new.org", "a@new.org", "a@OLD.org", "d@new.org"]);
    assert.deepEqual(g.duplicates(), { 1: 2, 2: null, 3: null, 4: null });
    // In every column: the name "Ann" too (cells, not rows, are counted).
    assert.equal(replaceText(g.v, g, "n", "N", null), 4);
    assert.deepEqual([0, 1, 2, 3].map((i) => g.row(i)), [["ANN", "a@New.org"], ["Bob", "a@New.org"], ["Cy", "a@OLD.org"], ["Di", "d@New.org"]]);
    // Row 2 gave the folded value up and took it again, ahead of row 1.
    assert.deepEqual(g.duplicates(), { 1: 2, 2: null, 3: null, 4: null });
    assert.equal(replaceText(g.v, g, "zzz", "y", null), 0);
    assert.equal(replaceText(g.v, g, "", "y", null), 0);
  });
});
