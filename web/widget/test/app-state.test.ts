// The app's one state object and what the steps derive from it without the
// DOM: header names, the matching shown, whether a header row drops edits.
import { test } from "node:test";
import assert from "node:assert/strict";
import { translator } from "../src/i18n/i18n.ts";
import { columnName, discardsReview, forgetReview, headerNames, initialMapping, newState } from "../src/app/state.ts";

const template = { columns: [{ key: "name", label: "Name", type: "text" }, { key: "email", label: "Email", type: "email" }] };
const t = translator("en");

function state() {
  const s = newState("en");
  s.columns = [
    { key: "name", label: "Name", description: "", required: false },
    { key: "email", label: "Email", description: "", required: true },
  ];
  s.info = { format: "csv", encoding: "utf-8", delimiter: ",", pasted: false, sheets: [], sheet: 0, rows: 3, width: 2, blankRows: 0 };
  s.preview = [["E-mail", "Name"], ["ann@example.com", "Ann"]];
  return s;
}

test("spreadsheet column names", () => {
  assert.deepEqual([0, 1, 25, 26, 27, 701, 702].map(columnName), ["A", "B", "Z", "AA", "AB", "ZZ", "AAA"]);
});

test("header names: the header row's cells, or Column A, B… without one", () => {
  const s = state();
  assert.deepEqual(headerNames(s, t), ["E-mail", "Name"]);
  s.headerRow = -1;
  assert.deepEqual(headerNames(s, t), ["Column A", "Column B"]);
});

test("the matching shown: the proposal, or the reviewed one for the same header row", () => {
  const s = state();
  assert.deepEqual(initialMapping(s, template, t), [1, 0]);
  s.reviewed = { headerRow: 0, mapping: [null, 0] };
  assert.deepEqual(initialMapping(s, template, t), [null, 0]);
  s.headerRow = -1;
  assert.deepEqual(initialMapping(s, template, t), [null, null]);
});

test("another header row drops the review's edits; the same one does not; a new file forgets them", () => {
  const s = state();
  s.reviewed = { headerRow: 0, mapping: [1, 0] };
  assert.equal(discardsReview(s, 1), false, "no edits yet");
  s.summary = { ...s.summary, modified: true };
  assert.equal(discardsReview(s, 1), true);
  assert.equal(discardsReview(s, 0), false);
  forgetReview(s);
  assert.equal(s.reviewed, null);
  assert.equal(s.summary.modified, false);
  assert.equal(discardsReview(s, 1), false);
});
