// Rows checked by helper workers (src/worker/check.ts) must end up with the
// errors the worker finds checking them itself, row after row: the helper
// runs every check but the unique claims, and the owner claims by hash in
// row order. Driven here without workers: Checker is what a helper runs,
// Merger what the owner does with its blocks.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Checker, Merger, sharedErrors, storedErrors, Translator } from "../src/worker/check.ts";
import { tableRules } from "../src/worker/review.ts";
import { hasValue } from "../src/worker/filled.ts";
import { hash, MemoryUniqueness } from "../src/validate/index.ts";
import { packRows, RowTable } from "../src/rows/store.ts";
import type { Stored } from "../src/worker/errors.ts";
import { spanBodies } from "../src/upload/upload.ts";

const TEMPLATE = {
  columns: [
    { key: "id", type: "text", required: true, unique: true },
    { key: "name", type: "text", max_length: 5 },
    { key: "email", type: "email", required: true, unique: true, unique_ignore_case: true },
    { key: "phone", type: "phone", default_region: "US" },
    { key: "when", type: "date", formats: ["YYYY-MM-DD"] },
    { key: "fax", type: "phone", default_region: "US" },
  ],
  // required_if reads fax's normalised value: helpers must normalise it.
  rules: [
    { rule: "one_of_required", columns: ["phone", "fax"] },
    { rule: "required_if", column: "phone", when: "fax", equals: ["+442079460958"] },
  ],
};

/** Rows with duplicates (ids, emails in another case), invalid cells, empty rows (blanks only) and short rows. */
function rows(seed: number, n: number): string[][] {
  let x = seed;
  const next = (m: number): number => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return (x >>> 8) % m;
  };
  const out: string[][] = [["id", "name", "email", "phone", "when", "fax"]];
  for (let i = 0; i < n; i++) {
    const id = String(next(n));
    const email = next(8) === 0 ? "not an email" : `${["a", "B", "c"][next(3)]}${next(n / 2)}@example.com`;
    const phone = ["+1 201 555 0123", "555", "", "(201) 555-0199"][next(4)]!;
    const when = next(5) === 0 ? "2024-13-01" : "2024-02-29";
    const row = [next(9) === 0 ? "" : id, next(4) === 0 ? "toolong" : "Ann", email, phone, when, next(3) === 0 ? "+44 20 7946 0958" : ""];
    out.push(next(20) === 0 ? row.slice(0, 3) : next(30) === 0 ? ["", " ", "", "\t", "", ""] : row);
  }
  return out;
}

/** Each row's errors as column → message, and whether it has a value: what the grid shows. */
function shown(stored: Stored | null): Record<number, string> {
  const out: Record<number, string> = {};
  for (let k = 0; stored && k < stored.length; k += 2) out[stored[k] as number] = stored[k + 1] as string;
  return out;
}

function inThread(table: RowTable): { errors: Record<number, string>[]; filled: boolean[] } {
  const { validator } = tableRules(TEMPLATE, table);
  const t = new Translator("en");
  const keyIndex = new Map(validator.keys.map((k, i) => [k, i]));
  const errors: Record<number, string>[] = [];
  const filled: boolean[] = [];
  for (let i = 0; i < table.length; i++) {
    const cells = table.row(i);
    errors.push(shown(storedErrors(validator.validateRow(cells, table.number(i), []), keyIndex, t)));
    filled.push(hasValue(cells));
  }
  return { errors, filled };
}

function withHelpers(table: RowTable, block: number): { errors: Record<number, string>[]; filled: boolean[]; shared: number } {
  const { validator, uniqueness } = tableRules(TEMPLATE, table);
  const t = new Translator("en");
  const merger = new Merger(validator, uniqueness, (first) => t.text("duplicate", { row: String(first) }));
  // Two helpers, blocks handed out in turn, as the pool does.
  const helpers = [new Checker(TEMPLATE, "en", [...table.mapping]), new Checker(TEMPLATE, "en", [...table.mapping])];
  const errors: Record<number, string>[] = [];
  const filled: boolean[] = [];
  let shared = 0;
  for (let start = 0, k = 0; start < table.length; start += block, k++) {
    const end = Math.min(table.length, start + block);
    const checked = helpers[k % 2]!.check(table.shipped(start, end));
    assert.equal(checked.count, end - start);
    for (let j = 0; j < checked.count; j++) {
      const stored = merger.errors(checked, j, table.number(start + j));
      if (stored !== null && stored === sharedErrors(checked, j)) shared++;
      errors.push(shown(stored));
      filled.push(checked.filled[j] === 1);
    }
  }
  return { errors, filled, shared };
}

describe("checking rows on helpers", () => {
  test("gives every row the errors checking it in this thread gives, duplicates included", () => {
    const table = new RowTable(packRows(rows(7, 3000)), 0, [0, 1, 2, 3, 4, 5]);
    const want = inThread(table);
    for (const block of [1, 7, 1000, 5000]) {
      const got = withHelpers(table, block);
      assert.deepEqual(got.errors, want.errors, `blocks of ${block}`);
      assert.deepEqual(got.filled, want.filled, `blocks of ${block}`);
      assert.ok(got.shared > 0, "rows share their block's error arrays");
    }
    assert.ok(want.errors.some((e) => Object.values(e).some((m) => m.startsWith("Duplicate"))), "the rows have duplicates");
  });

  test("reads rows through the mapping and takes edited rows as they are", () => {
    // The file's columns in another order, one template column unmapped.
    const file = rows(11, 500).map((r) => [r[4] ?? "", r[2] ?? "", "x", r[0] ?? "", r[1] ?? "", r[3] ?? ""]);
    const table = new RowTable(packRows(file), 0, [3, 4, 1, 5, 0, null]);
    table.set(3, 2, "A0@example.com");
    table.set(10, 0, "");
    assert.equal(typeof table.shipped(3, 4)[0], "object", "an edited row is shipped as cells");
    assert.equal(typeof table.shipped(4, 5)[0], "string", "a row as parsed is shipped packed");
    const want = inThread(table);
    assert.deepEqual(withHelpers(table, 64).errors, want.errors);
  });

  test("reads rows wider than the template, and short rows after them, as this thread does", () => {
    // A helper cuts packed rows into one reused array: no cell of a row may show in the next.
    const file = rows(13, 600).map((r, i) => (i % 3 === 1 ? [...r, "extra", "+1 201 555 0123"] : i % 3 === 2 ? r.slice(0, 2) : r));
    const table = new RowTable(packRows(file), 0, [0, 1, 2, 3, 4, 5]);
    const want = inThread(table);
    const got = withHelpers(table, 50);
    assert.deepEqual(got.errors, want.errors);
    assert.deepEqual(got.filled, want.filled);
  });

  test("claims by hash find the first row as claims by key do", () => {
    const keys = ["a", "b", "a", "c", "b", "a", "d"];
    const byKey = new MemoryUniqueness((_, row) => keys[row - 1] ?? null);
    const byHash = new MemoryUniqueness((_, row) => keys[row - 1] ?? null);
    const first = keys.map((k, i) => byKey.claim(0, k, i + 1));
    assert.deepEqual(keys.map((k, i) => byHash.claimHash(0, hash(k), i + 1)), first);
    assert.deepEqual(first, [1, 2, 1, 4, 2, 1, 7]);
    assert.throws(() => new MemoryUniqueness().claimHash(0, hash("a"), 1), /keyOf/);
  });
});

describe("encoding rows for the upload on helpers (shipped rows, packed or not)", () => {
  // Cells JSON escapes, or turns from lone surrogates; an emoji (a pair); short, long and empty rows; an edited row.
  const file = [
    ["id", "name", "email", "phone", "when", "fax"],
    ["1", "Ann", "a@example.com", "+1 201 555 0123", "2024-02-29", ""],
    ["2", 'say "hi"', "b@example.com", "", "", ""],
    ["3", "back\\slash", "c@example.com", "", "", "x"],
    ["4", "tab\there", "line\nbreak", "\u0001", "", ""],
    ["5", "lone \ud800", "emoji 😀", "", "", ""],
    ["6", "short"],
    ["7", "a", "b", "c", "d", "e", "extra"],
    ["", "", "", "", "", ""],
    ["9", "\u2028", "é東", "", "", "end"],
    ["10", "edited", "x@example.com", "", "", ""],
  ];

  for (const [name, mapping] of [
    ["in the file's order", [0, 1, 2, 3, 4, 5]],
    ["through a mapping", [1, 0, 2, null, 4, 5]],
  ] as const) {
    test(`gives the JSON of every row's cells, ${name}`, async () => {
      const table = new RowTable(packRows(file), 0, [...mapping]);
      table.set(9, 1, 'now "quoted"');
      const checker = new Checker(TEMPLATE, "en", [...table.mapping]);
      for (const maxBytes of [8 << 20, 200]) {
        const got = await checker.encode(table.shipped(0, table.length), 0, { maxBytes, gzip: false });
        const want = spanBodies((i) => table.row(i), 0, table.length, maxBytes);
        assert.deepEqual(
          got.map((c) => ({ first: c.first, count: c.count, body: new TextDecoder().decode(c.body) })),
          want,
          `chunks of at most ${maxBytes} bytes`,
        );
        for (const w of want) assert.deepEqual((JSON.parse(w.body) as { rows: unknown[] }).rows, Array.from({ length: w.count }, (_, j) => table.row(w.first + j)));
      }
    });
  }
});
