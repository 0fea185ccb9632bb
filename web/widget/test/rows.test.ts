// The row store (src/rows/store.ts): packed rows give back exactly the cells
// they were given, the review table maps, edits and deletes them, and the
// delimited parser, which feeds the store in pieces, gives the same rows as
// Papa Parse on the whole text, less the blank rows it drops.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import Papa from "papaparse";
import { PackedRows, RowTable, cutPacked, packRows, unpackRow } from "../src/rows/store.ts";
import { parseDelimited } from "../src/parse/delimited.ts";
import { MemoryUniqueness } from "../src/validate/index.ts";

const TRICKY: string[][] = [
  ["id", "name", "note"],
  ["1", 'say "hi"', "line one\nline two\r\nline three"],
  ["2", "", ""],
  ["3", "Zoë, Łukasz", "東京 🚀 \uD800 lone surrogate"],
  [""],
  ["4"],
  ["5", "a", "b", "extra", "more"],
  ["6", "nul\u0000inside", "x"],
  ["7", "\u0000", ""],
];

describe("PackedRows", () => {
  test("gives back every row exactly, whatever its cells hold", () => {
    const rows = packRows(TRICKY);
    assert.equal(rows.length, TRICKY.length);
    assert.equal(rows.width, 5);
    TRICKY.forEach((row, r) => assert.deepEqual(rows.row(r), row, `row ${r}`));
    assert.deepEqual(rows.slice(), TRICKY);
    assert.deepEqual(rows.slice(1, 3), TRICKY.slice(1, 3));
    assert.deepEqual(rows.slice(7, 100), TRICKY.slice(7, 100));
  });

  test("a row with no cell stays a row with no cell", () => {
    const rows = new PackedRows();
    rows.push([]);
    rows.push([""]);
    assert.deepEqual(rows.slice(), [[], [""]]);
  });

  test("rows handed out are copies", () => {
    const rows = packRows([["a", "b"]]);
    rows.row(0)[0] = "changed";
    assert.deepEqual(rows.row(0), ["a", "b"]);
    const source = ["x", "y"];
    rows.push(source);
    source[0] = "changed";
    assert.deepEqual(rows.row(1), ["x", "y"]);
  });

  test("mayInclude never misses a cell's text and never matches across cells", () => {
    const rows = packRows([["xa", "by"], ["nul\u0000", "z"]]);
    assert.equal(rows.mayInclude(0, "xa"), true);
    assert.equal(rows.mayInclude(0, "a"), true);
    assert.equal(rows.mayInclude(0, "ab"), false);
    assert.equal(rows.mayInclude(0, "q"), false);
    assert.equal(rows.mayInclude(1, "l\u0000"), true);
    assert.equal(rows.mayInclude(9, "a"), false);
  });

  test("a row out of range is an error, not an empty row", () => {
    assert.throws(() => packRows([["a"]]).row(1), RangeError);
  });
});

describe("RowTable", () => {
  const source = packRows([["id", "email", "name"], ["1", "a@x.org", "Ann"], ["2"], ["3", "c@x.org", "Cy", "extra"], ["4", "", "Di"]]);

  test("in-order columns: missing cells are null, empty cells stay empty, extra cells are dropped", () => {
    const t = new RowTable(source, 0, [0, 1, 2]);
    assert.equal(t.length, 4);
    assert.equal(t.width, 3);
    assert.deepEqual(t.row(0), ["1", "a@x.org", "Ann"]);
    assert.deepEqual(t.row(1), ["2", null, null]);
    assert.deepEqual(t.row(2), ["3", "c@x.org", "Cy"]);
    assert.deepEqual(t.row(3), ["4", "", "Di"]);
    assert.deepEqual([0, 1, 2, 3].map((i) => t.number(i)), [1, 2, 3, 4]);
  });

  test("a mapping reorders columns and leaves unmapped ones null", () => {
    const t = new RowTable(source, 0, [2, null, 0, 1]);
    assert.deepEqual(t.row(0), ["Ann", null, "1", "a@x.org"]);
    assert.deepEqual(t.row(1), [null, null, "2", null]);
  });

  test("no header row: every row is data", () => {
    const t = new RowTable(source, -1, [0]);
    assert.equal(t.length, 5);
    assert.deepEqual(t.row(0), ["id"]);
  });

  test("edits change the table, not the file's rows, and survive other rows' deletion", () => {
    const t = new RowTable(source, 0, [0, 1, 2]);
    t.set(1, 1, "b@x.org");
    t.set(1, 1, "bb@x.org");
    t.set(1, 2, "");
    assert.deepEqual(t.row(1), ["2", "bb@x.org", ""]);
    assert.deepEqual(source.row(2), ["2"], "parsed row unchanged");
    const copy = t.row(1);
    copy[0] = "changed";
    assert.deepEqual(t.row(1), ["2", "bb@x.org", ""], "rows handed out are copies");
    assert.equal(t.mayInclude(1, "bb@"), true);
    assert.equal(t.mayInclude(0, "bb@"), false);
    t.remove(new Set([0]));
    assert.deepEqual(t.row(0), ["2", "bb@x.org", ""]);
    assert.equal(t.number(0), 2);
    assert.throws(() => t.set(0, 3, "x"), RangeError);
  });

  test("deletions keep numbers and order; indexOf finds a number or says it is gone", () => {
    const t = new RowTable(source, 0, [0, 1, 2]);
    t.set(2, 2, "edited");
    t.remove(new Set([0, 2, 7]));
    assert.equal(t.length, 2);
    assert.deepEqual([t.number(0), t.number(1)], [2, 4]);
    assert.deepEqual(t.row(1), ["4", "", "Di"]);
    assert.equal(t.indexOf(4), 1);
    assert.equal(t.indexOf(2), 0);
    assert.equal(t.indexOf(1), -1);
    assert.equal(t.indexOf(3), -1);
    assert.equal(t.indexOf(99), -1);
    // A deleted row's edit is gone with it.
    assert.equal(t.mayInclude(1, "edited"), false);
  });

  test("another matching of the same rows carries deletions and the cells the user changed, nothing else", () => {
    const old = new RowTable(source, 0, [0, 1, null]);
    old.set(0, 1, "ann@x.org"); // changed
    old.set(0, 0, "1"); // set to what it was: not a change
    old.set(3, 2, "Dee"); // a cell of an unmapped column
    old.remove(new Set([1]));
    assert.equal(old.modified, true);
    const next = new RowTable(source, 0, [0, 1, 2]);
    next.carryFrom(old);
    assert.equal(next.length, 3);
    assert.deepEqual([next.number(0), next.number(1), next.number(2)], [1, 3, 4]);
    assert.deepEqual(next.row(0), ["1", "ann@x.org", "Ann"], "the edit kept, the newly mapped name from the file");
    assert.deepEqual(next.row(1), ["3", "c@x.org", "Cy"]);
    assert.deepEqual(next.row(2), ["4", "", "Dee"], "an edit of an unmapped column is kept in its template column");
    assert.equal(next.modified, true);
    const unchanged = new RowTable(source, 0, [0, 1, 2]);
    unchanged.carryFrom(new RowTable(source, 0, [0, 1, null]));
    assert.equal(unchanged.modified, false, "nothing to carry from an untouched table");
    assert.throws(() => new RowTable(source, 1, [0, 1, 2]).carryFrom(old), /not the same rows/);
  });
});

describe("uniqueness keeping hashes only", () => {
  test("equal hashes of different keys are no duplicates; true duplicates are", () => {
    // Distinct keys (i times an odd number is a bijection) that happen to
    // share 32-bit hashes five times.
    const keys = Array.from({ length: 300_000 }, (_, i) => {
      const s = Math.imul(i + 1, 2654435761) >>> 0;
      return `k${s.toString(16)}-${(Math.imul(s, 40503) >>> 0).toString(36)}`;
    });
    let asked = 0;
    const u = new MemoryUniqueness((column, row) => {
      asked++;
      assert.equal(column, 3);
      return keys[row - 1] ?? null;
    });
    keys.forEach((k, i) => assert.equal(u.claim(3, k, i + 1), i + 1, k));
    // Each collision made the table ask for a row's key.
    assert.ok(asked >= 5, `${asked} keys asked for`);
    const k = keys[123]!;
    assert.equal(u.claim(3, k, 400_000), 124);
    u.release(3, k, 124);
    assert.equal(u.claim(3, k, 400_000), 400_000);
  });
});

/** A CSV text of random rows: quotes, delimiters, CR LF, multi-byte characters, a few very long cells. */
function randomCSV(seed: number, rows: number): string {
  let s = seed;
  const random = (): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
  const pieces = ["a", "b", "Zoë", "東", "🚀", ",", '"', "\r\n", "\n", " ", "x".repeat(40)];
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    const cells: string[] = [];
    for (let c = 0; c < 1 + Math.floor(random() * 5); c++) {
      let v = "";
      const n = random() < 0.001 ? 30_000 : Math.floor(random() * 12);
      for (let k = 0; k < n; k++) v += pieces[Math.floor(random() * pieces.length)]!;
      cells.push(/[",\r\n]/.test(v) || random() < 0.1 ? `"${v.replaceAll('"', '""')}"` : v);
    }
    lines.push(cells.join(","));
  }
  return lines.join("\r\n") + (seed % 2 ? "\r\n" : "");
}

/** Papa Parse's rows less the blank ones (every cell empty after trimming), which parseDelimited drops. */
function nonBlank(rows: string[][]): string[][] {
  return rows.filter((r) => r.some((cell) => cell.trim() !== ""));
}

describe("parseDelimited in pieces", () => {
  test("gives Papa Parse's rows of the whole text, wherever stream chunks and pieces cut", async () => {
    for (const seed of [1, 2, 3]) {
      const text = randomCSV(seed, 3000);
      const want = nonBlank(Papa.parse<string[]>(text, { delimiter: ",", newline: "\r\n" }).data);
      const bytes = new TextEncoder().encode(text);
      // Stream chunks cut anywhere, multi-byte characters included.
      const parts: Uint8Array<ArrayBuffer>[] = [];
      for (let at = 0; at < bytes.length; at += 777 + seed * 1000) parts.push(bytes.slice(at, at + 777 + seed * 1000));
      const got = await parseDelimited(new Blob(parts));
      assert.equal(got.delimiter, ",");
      assert.equal(got.linebreak, "\r\n");
      assert.equal(got.rows.length, want.length, `seed ${seed}`);
      assert.deepEqual(got.rows.slice(), want, `seed ${seed}`);
    }
  });

  test("an unterminated quote ends in one last row, parsed in reasonable time", async () => {
    // 12 MB of escaped quotes in 64 KB stream chunks: parsing the pending
    // row again with every chunk takes many seconds (seen: over 5 s).
    const text = 'a,b\n1,"never closed\n' + "x,\"\"y\n".repeat(2_000_000);
    const started = performance.now();
    const got = await parseDelimited(new Blob(Array.from({ length: Math.ceil(text.length / 65536) }, (_, i) => text.slice(i * 65536, (i + 1) * 65536))));
    const want = nonBlank(Papa.parse<string[]>(text, { delimiter: ",", newline: "\n" }).data);
    assert.deepEqual(got.rows.slice(), want);
    assert.ok(performance.now() - started < 5000, "parsed again and again");
  });
});

describe("cutPacked", () => {
  test("cuts a packed row as unpackRow does, kept to its first max cells, into one reused array", () => {
    const rows = ["", "a", "a\u0000", "\u0000b", "a\u0000b\u0000c", "\u0000\u0000", "é\u0000日本\u0000\u0000x"];
    const out: string[] = ["stale", "stale", "stale", "stale", "stale", "stale"];
    for (const packed of rows) {
      const cells = unpackRow(packed);
      for (const max of [0, 1, 2, 3, 10, Infinity]) {
        const got = cutPacked(packed, out, max);
        assert.equal(got, out, "the array passed in is the one returned");
        assert.deepEqual([...got], cells.slice(0, max), `${JSON.stringify(packed)} kept to ${max}`);
      }
    }
  });
});
