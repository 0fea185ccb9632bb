// Quick fixes and undo/redo of the review (src/worker/review.ts) on the
// worker's own row table and rule engine: a fix changes only the cells it
// should, records only those, and undo and redo put them back and forth
// with the errors and uniqueness following.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { compileRegex, isProblem } from "../src/validate/regex.ts";
import { packRows, RowTable } from "../src/rows/store.ts";
import { applyCells, CellChanges, fixCells, fixFunction, History, type HistoryStep } from "../src/worker/review.ts";
import { TestGrid } from "./support/review-grid.ts";

const TEMPLATE = { columns: [{ key: "name", type: "text", required: true }, { key: "email", type: "email", unique: true }] };

class Grid extends TestGrid {
  constructor(rows: string[][]) {
    super(TEMPLATE, rows);
  }
  column(c: number): (string | null)[] {
    return Array.from({ length: this.table.length }, (_, i) => this.row(i)[c] ?? null);
  }
  codes(): string[] {
    return Array.from({ length: this.table.length }, (_, i) => this.errors.get(this.number(i))!.map((e) => `${e.column}:${e.code}`).join(",") || "-");
  }
}

describe("quick fixes", () => {
  test("trim changes only the cells with spaces at an end, and records only those", () => {
    const g = new Grid([["Ann ", "a@example.com"], ["Bob", "b@example.com"], ["\tCy", "c@example.com"]]);
    const changes = new CellChanges();
    assert.equal(fixCells(g.v, g, fixFunction({ kind: "trim" }), 0, changes), 2);
    assert.equal(changes.size, 2, "only changed cells are stored");
    assert.deepEqual(g.column(0), ["Ann", "Bob", "Cy"]);
  });

  test("case, fill and plain replace", () => {
    const g = new Grid([["ann lee", "a@example.com"], ["", "b@example.com"], ["BOB", "c@example.com"]]);
    fixCells(g.v, g, fixFunction({ kind: "case", to: "title" }), 0, new CellChanges());
    assert.deepEqual(g.column(0), ["Ann Lee", "", "Bob"]);
    assert.equal(g.codes()[1], "name:required");
    fixCells(g.v, g, fixFunction({ kind: "fill", value: "Unknown" }), 0, new CellChanges());
    assert.deepEqual(g.column(0), ["Ann Lee", "Unknown", "Bob"]);
    assert.deepEqual(g.codes(), ["-", "-", "-"]);
    fixCells(g.v, g, fixFunction({ kind: "replace", find: "example.com", replace: "example.org", regex: false }), 1, new CellChanges(), undefined, "example.com");
    assert.deepEqual(g.column(1), ["a@example.org", "b@example.org", "c@example.org"]);
    fixCells(g.v, g, fixFunction({ kind: "case", to: "upper" }), 0, new CellChanges(), [0]);
    assert.deepEqual(g.column(0), ["ANN LEE", "Unknown", "Bob"], "only the rows given");
  });

  test("regex replace uses the safe engine on whole cells", () => {
    const g = new Grid([["Ann", "n/a"], ["Bob", "N/A"], ["Cy", "x n/a y"]]);
    const m = compileRegex("[Nn]\\/[Aa]");
    assert.ok(!isProblem(m));
    fixCells(g.v, g, fixFunction({ kind: "replace", find: "[Nn]\\/[Aa]", replace: "", regex: true }, m), 1, new CellChanges());
    assert.deepEqual(g.column(1), ["", "", "x n/a y"]);
  });
});

describe("undo and redo", () => {
  test("a bulk fix is undone and redone, errors following", () => {
    const g = new Grid([["", "a@example.com"], ["Bob", "b@example.com"]]);
    const h = new History();
    const apply = (step: HistoryStep): HistoryStep => {
      assert.equal(step.kind, "cells");
      return applyCells(g.v, g, g.table, step.kind === "cells" ? step.changes : new CellChanges());
    };
    assert.deepEqual(g.codes(), ["name:required", "-"]);
    const changes = new CellChanges();
    fixCells(g.v, g, fixFunction({ kind: "fill", value: "Ann" }), 0, changes);
    h.push({ kind: "cells", changes });
    assert.equal(h.undoCount, 1);
    assert.deepEqual(g.codes(), ["-", "-"]);
    h.undo(apply);
    assert.deepEqual(g.column(0), ["", "Bob"]);
    assert.deepEqual(g.codes(), ["name:required", "-"]);
    assert.equal(h.redoCount, 1);
    h.redo(apply);
    assert.deepEqual(g.column(0), ["Ann", "Bob"]);
    assert.deepEqual(g.codes(), ["-", "-"]);
    assert.equal(h.undo(apply)?.kind, "cells");
    assert.equal(h.undo(apply), null, "nothing more to undo");
  });

  test("a new step drops the redo stack; an empty fix is no step", () => {
    const h = new History();
    const c = new CellChanges();
    c.add(1, 0, "x");
    h.push({ kind: "cells", changes: c });
    h.undo((s) => s);
    assert.equal(h.redoCount, 1);
    h.push({ kind: "cells", changes: new CellChanges() });
    assert.equal(h.redoCount, 1, "an empty fix changes nothing");
    h.push({ kind: "cells", changes: c });
    assert.equal(h.redoCount, 0);
  });

  test("undo of an edit puts a unique value back and checks both rows", () => {
    const g = new Grid([["Ann", "a@example.com"], ["Bob", "a@example.com"]]);
    assert.deepEqual(g.codes(), ["-", "email:duplicate"]);
    const changes = new CellChanges();
    fixCells(g.v, g, (v) => (v === "a@example.com" ? "z@example.com" : undefined), 1, changes, [0]);
    assert.deepEqual(g.codes(), ["-", "-"]);
    applyCells(g.v, g, g.table, changes);
    assert.deepEqual(g.column(1), ["a@example.com", "a@example.com"]);
    // As after an edit: the row changed back is the one flagged (the server, re-validating in order, flags the second).
    assert.deepEqual(g.codes().sort(), ["-", "email:duplicate"]);
  });

  test("deleted rows come back in place with their edits", () => {
    const table = new RowTable(packRows([["n"], ["a"], ["b"], ["c"], ["d"]]), 0, [0]);
    table.set(1, 0, "B!");
    const edits = table.remove(new Set([1, 2]));
    assert.deepEqual(Array.from({ length: table.length }, (_, i) => table.row(i)[0]), ["a", "d"]);
    table.restore([2, 3], edits);
    assert.deepEqual(Array.from({ length: table.length }, (_, i) => table.row(i)[0]), ["a", "B!", "c", "d"]);
    assert.deepEqual(Array.from({ length: table.length }, (_, i) => table.number(i)), [1, 2, 3, 4]);
  });
});

describe("reading one cell", () => {
  test("RowTable.cell is row(i)[c], without the whole row", () => {
    const table = new RowTable(packRows([["a", "b", "c"], ["1", "2", "3"], ["4"], ["x\u0000y", "5", "6"]]), 0, [2, null, 0]);
    table.set(0, 2, "edited");
    for (let i = 0; i < table.length; i++) {
      const row = table.row(i);
      for (let c = 0; c < 3; c++) assert.equal(table.cell(i, c) ?? null, row[c] === null && c === 0 && i === 1 ? "" : row[c], `row ${i} column ${c}`);
    }
  });
});
