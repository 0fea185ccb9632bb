// Random header rows against random templates: matching never throws,
// proposes one column per header at most and never one column twice, and
// its confidences and levels agree; headers of every script and shape
// (the TypeScript half of FuzzMatch).
import { test } from "node:test";
import assert from "node:assert/strict";
import { levelOf, matchColumns, sampleColumns, valueHints } from "../src/mapping/index.ts";

let seed = 12345;
function rand(n: number): number {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return (seed >>> 8) % n;
}
const PIECES = ["E-mail", "Address", "1", "2", " - ", "Name", "名", "携帯", "電話", "番号", "Vorname", "Nom", "ZIP", "Code", "consent", "Label", "Value", "ß", "İ", "Σ", "é", "\u0301", "😀", ";", "|", "\t", " ", "_", "-", "Company", "size", "Default", "Billing", "x".repeat(70), "\uFFFD", "0", "99", "100"];
const TYPES = ["text", "email", "phone", "url", "date", "number", "boolean", "country"];

test("random headers: no throw, one column per header, no column twice, levels from confidences", () => {
  for (let k = 0; k < 300; k++) {
    const columns = Array.from({ length: 1 + rand(8) }, (_, j) => ({ key: `k${j}`, label: Array.from({ length: 1 + rand(3) }, () => PIECES[rand(PIECES.length)]).join(""), type: TYPES[rand(TYPES.length)] }));
    const template = { columns };
    const headers = Array.from({ length: rand(12) }, () => Array.from({ length: rand(4) }, () => PIECES[rand(PIECES.length)]).join(""));
    const rows = Array.from({ length: rand(10) }, () => headers.map(() => PIECES[rand(PIECES.length)]!));
    const hints = rand(2) ? valueHints(template, sampleColumns({ length: rows.length, row: (i) => rows[i] ?? [] }, headers.length)) : undefined;
    const got = matchColumns(template, headers, hints);
    assert.equal(got.length, headers.length);
    const keys = got.map((m) => m.key).filter((x) => x !== null);
    assert.equal(new Set(keys).size, keys.length, JSON.stringify(headers));
    for (const m of got) {
      if (m.key === null) assert.deepEqual([m.confidence, m.level], [0, null]);
      else {
        assert.ok(m.confidence > 0 && m.confidence <= 1);
        assert.equal(m.level, levelOf(m.confidence));
      }
    }
  }
});
