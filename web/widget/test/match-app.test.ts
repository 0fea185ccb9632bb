// The matching step's data path without the DOM: value hints are computed
// from sampled values next to the rows and only numbers come out of them;
// the proposal uses them (a column of e-mail addresses under an unknown
// header is a guess for email) and says its level in words; hints belong to
// one file and header row.
import { test } from "node:test";
import assert from "node:assert/strict";
import { translator } from "../src/i18n/i18n.ts";
import { currentHints, initialMapping, learnedChanges, newState, propose } from "../src/app/state.ts";
import { matchColumns, sampleColumns, valueHints, SAMPLE_SIZE } from "../src/mapping/index.ts";

const template = {
  columns: [
    { key: "name", label: "Name", type: "text" },
    { key: "email", label: "Email", type: "email", required: true },
    { key: "website", label: "Website", type: "url" },
  ],
};
const headers = ["Full name", "Contact", "Secret"];
const rows = Array.from({ length: 30 }, (_, i) => [`Person ${i}`, `person${i}@example.org`, `zq-secret-${i}`]);
const table = { length: rows.length, row: (i: number) => rows[i] ?? [] };

test("value hints are numbers only: no sampled value comes out of the hints or the proposal", () => {
  const hints = valueHints(template, sampleColumns(table, headers.length));
  const proposal = matchColumns(template, headers, hints);
  for (const out of [hints, proposal]) {
    const text = JSON.stringify(out);
    for (const v of ["zq-secret-", "@example.org", "Person 1"]) assert.ok(!text.includes(v), `${v} in ${text}`);
  }
  assert.ok(hints.flat().every((x) => typeof x === "number" && (x === -1 || (x >= 0 && x <= 1))));
  // Email (column 1) accepts the e-mail column only; text columns get no hint.
  assert.deepEqual(hints.map((h) => h[1]), [0, 1, 0]);
  assert.deepEqual(hints.map((h) => h[0]), [-1, -1, -1]);
});

test("a column of e-mail addresses under an unknown header is a guess for email, by its values only", () => {
  assert.equal(matchColumns(template, headers)[1]?.key, null);
  const hints = valueHints(template, sampleColumns(table, headers.length));
  const m = matchColumns(template, headers, hints);
  assert.deepEqual(m.map((x) => [x.key, x.level]), [["name", "likely"], ["email", "guess"], [null, null]]);
});

test("sampling takes at most SAMPLE_SIZE rows, spread over the file", () => {
  const many = Array.from({ length: 1000 }, (_, i) => [String(i)]);
  const s = sampleColumns({ length: many.length, row: (i) => many[i] ?? [] }, 1)[0]!;
  assert.equal(s.length, SAMPLE_SIZE);
  assert.deepEqual([s[0], s[1], s[199]], ["0", "5", "995"]);
});

test("propose gives the level of each field; hints count only for their file and header row", () => {
  const t = translator("en");
  const s = newState("en");
  s.columns = template.columns.map((c) => ({ key: c.key, label: c.label, description: "", required: c.required === true }));
  s.info = { format: "csv", encoding: "utf-8", delimiter: ",", pasted: false, sheets: [], sheet: 0, rows: 31, width: 3, blankRows: 0 };
  s.preview = [headers, ...rows.slice(0, 5)];
  const shares = valueHints(template, sampleColumns(table, headers.length));
  assert.deepEqual(propose(template, s.columns, headers, shares).level, ["likely", "guess", null]);
  s.hints = { info: s.info, headerRow: 0, shares };
  assert.equal(currentHints(s), shares);
  assert.deepEqual(initialMapping(s, template, t), [0, 1, null]);
  s.headerRow = 1;
  assert.equal(currentHints(s), undefined);
  s.headerRow = 0;
  s.info = { ...s.info };
  assert.equal(currentHints(s), undefined, "another file or sheet");
});

test("learned mappings: proposed first with level learned; only the user's changes are learned, as header names, never a cell value", () => {
  const t = translator("en");
  const s = newState("en");
  s.columns = template.columns.map((c) => ({ key: c.key, label: c.label, description: "", required: c.required === true }));
  s.info = { format: "csv", encoding: "utf-8", delimiter: ",", pasted: false, sheets: [], sheet: 0, rows: 31, width: 3, blankRows: 0 };
  s.preview = [headers, ...rows.slice(0, 5)];
  const plain = propose(template, s.columns, headers);
  assert.deepEqual(plain.mapping, [0, null, null]);
  // The user maps Secret to website: that one change is learned.
  const chosen = [0, null, 2];
  const learned = learnedChanges(s, headers, plain.mapping, chosen);
  assert.deepEqual(learned, [{ header: "Secret", key: "website" }]);
  const text = JSON.stringify(learned);
  for (const row of rows) for (const v of row) assert.ok(!text.includes(v), `cell value ${v} in ${text}`);
  // Next time, the learned pair is proposed first (compared normalised).
  const next = propose(template, s.columns, ["Full name", "Contact", "SECRET"], undefined, [{ header: "secret", key: "website" }]);
  assert.deepEqual(next.mapping, [0, null, 2]);
  assert.deepEqual(next.level, ["likely", null, "learned"]);
  assert.deepEqual(initialMapping(s, template, t, [{ header: "secret", key: "website" }]), [0, null, 2]);
  // Unmapping a proposal, keeping it, or having no header row teaches nothing.
  assert.deepEqual(learnedChanges(s, headers, plain.mapping, [null, null, null]), []);
  assert.deepEqual(learnedChanges(s, headers, plain.mapping, plain.mapping), []);
  s.headerRow = -1;
  assert.deepEqual(learnedChanges(s, headers, plain.mapping, chosen), []);
});
