// The review grid's edit paths (src/worker/review.ts) with the real rule
// engine: an edited or deleted row gives its unique values up, and the rows
// that were duplicates of it are checked again.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { editCell, forgetRows, recheckDuplicatesOf, replaceText } from "../src/worker/review.ts";
import { TestGrid } from "./support/review-grid.ts";

const TEMPLATE = { columns: [{ key: "name", type: "text" }, { key: "email", type: "email", unique: true, unique_ignore_case: true }] };

/** The shared test grid with deletion as the worker does it. */
class Grid extends TestGrid {
  constructor(rows: string[][]) {
    super(TEMPLATE, rows);
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
