// The guard against importing nothing: the worker counts the rows with a
// non-empty mapped cell (FilledRows, kept through edits and deletions), and
// the app refuses to submit a checked review where that count is 0.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PackedRows, RowTable, packRows } from "../src/rows/store.ts";
import { FilledRows, hasValue } from "../src/worker/filled.ts";
import { nothingToImport, submitState } from "../src/app/steps.ts";
import type { Summary } from "../src/worker/messages.ts";

/** Counts the rows of table with a value, as the worker's check does row by row. */
function countFilled(table: RowTable): FilledRows {
  const filled = new FilledRows(table.length);
  for (let i = 0; i < table.length; i++) filled.set(table.number(i), hasValue(table.row(i)));
  return filled;
}

function summary(over: Partial<Summary>): Summary {
  return { rows: 2, checked: 2, rowsWithErrors: 0, rowsWithValues: 2, columnErrors: [0, 0], modified: false, ...over };
}

test("hasValue: null, empty and blank cells are empty", () => {
  assert.equal(hasValue([null, "", "  \t", "\u00a0"]), false);
  assert.equal(hasValue([]), false);
  assert.equal(hasValue([null, " x "]), true);
});

test("a ';' file read as one column that matched nothing has no row with a value", () => {
  const raw = packRows([["Name;Email"], ["Ann;ann@example.com"], ["Bob;bob@example.com"]]);
  const unmatched = new RowTable(raw, 0, [null, null]);
  assert.equal(countFilled(unmatched).count, 0);
  // Had the one column matched a field, its cells would count.
  assert.equal(countFilled(new RowTable(raw, 0, [0, null])).count, 2);
});

test("columns that map only empty cells have no row with a value; one filled cell is enough", () => {
  const raw = packRows([["a", "b", "c"], ["", "x", " "], ["", "", ""], [" ", "y", ""]]);
  assert.equal(countFilled(new RowTable(raw, 0, [0, 2])).count, 0);
  assert.equal(countFilled(new RowTable(raw, 0, [2, 1])).count, 2);
});

test("edits and deletions keep the count right", () => {
  const raw = packRows([["h"], ["a"], [""], ["b"]]);
  const table = new RowTable(raw, 0, [0]);
  const filled = countFilled(table);
  assert.equal(filled.count, 2);
  table.set(1, 0, "now filled");
  filled.set(table.number(1), hasValue(table.row(1)));
  assert.equal(filled.count, 3);
  table.set(0, 0, "  ");
  filled.set(table.number(0), hasValue(table.row(0)));
  assert.equal(filled.count, 2);
  // A deleted row holds nothing; setting the same state twice counts once.
  filled.set(table.number(2), false);
  filled.set(table.number(2), false);
  table.remove(new Set([2]));
  assert.equal(filled.count, 1);
});

test("nothingToImport and submitState: no submission of a review without a value", () => {
  const empty = summary({ rowsWithValues: 0 });
  assert.equal(nothingToImport(empty, [null, null]), "guard_unmatched");
  assert.equal(nothingToImport(empty, [0, null]), "guard_empty");
  // A workbook has no separator to suggest.
  assert.equal(nothingToImport(empty, [null, null], false), "guard_unmatched_sheet");
  assert.equal(submitState(empty, [0, null], true, false).reason, "guard_empty_sheet");
  assert.deepEqual(submitState(empty, [0, null], true), { disabled: true, reason: "guard_empty", anyway: false });
  // Undecided while rows are being checked: that reason comes first.
  assert.equal(nothingToImport(summary({ rowsWithValues: 0, checked: 1 }), [0]), null);
  assert.equal(submitState(summary({ rowsWithValues: 0, checked: 1 }), [0], true).reason, "err_still_checking");
  // No rows left (all deleted): no guard message, but nothing to submit either.
  assert.equal(nothingToImport(summary({ rows: 0, checked: 0, rowsWithValues: 0 }), [0]), null);
  assert.equal(submitState(summary({ rows: 0, checked: 0, rowsWithValues: 0 }), [0], false).disabled, true);
  // A review with values: errors block unless the importer allows invalid rows.
  assert.deepEqual(submitState(summary({ rowsWithErrors: 1 }), [0, 1], false), { disabled: true, reason: "fix_first", anyway: false });
  assert.deepEqual(submitState(summary({ rowsWithErrors: 1 }), [0, 1], true), { disabled: false, reason: null, anyway: true });
  assert.deepEqual(submitState(summary({}), [0, 1], false), { disabled: false, reason: null, anyway: false });
});

test("PackedRows stays what the guard reads through", () => {
  const raw = new PackedRows();
  raw.push(["h1", "h2"]);
  raw.push(["", "v"]);
  assert.equal(countFilled(new RowTable(raw, 0, [0, 1])).count, 1);
});
