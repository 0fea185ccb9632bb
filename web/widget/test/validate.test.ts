// Engine properties the vectors do not pin down: every message exists in
// every locale and never carries a cell value, hostile cells never throw,
// and uniqueness holds across rows fed one by one as a stream.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { LOCALES, MemoryUniqueness, message, pickLocale, Validator, type ErrorCode } from "../src/validate/index.ts";
import { fold } from "../src/validate/text.ts";

const CODES: ErrorCode[] = [
  "required", "too_short", "too_long", "not_a_number", "not_an_integer", "too_small", "too_large", "not_a_boolean",
  "invalid_email", "invalid_url", "invalid_phone", "invalid_date", "invalid_datetime", "invalid_time", "invalid_option",
  "pattern_mismatch", "invalid_ip", "invalid_country", "invalid_currency", "duplicate", "invalid_encoding", "required_if",
  "one_of_required",
];
const PARAMS = { min: "2", max: "5", formats: "YYYY-MM-DD", version: "4", row: "7", when: "country", columns: "email,phone" };

describe("messages", () => {
  for (const locale of LOCALES) {
    test(`${locale}: every code has a message with its params filled in`, () => {
      for (const code of CODES) {
        const m = message(code, PARAMS, locale);
        assert.ok(m.length > 0 && m !== code, `${locale} ${code}`);
        assert.doesNotMatch(m, /[{}]|undefined/, `${locale} ${code}: ${m}`);
      }
    });
  }

  test("English matches docs/templates.md", () => {
    assert.equal(message("too_long", { max: "5" }), "Must be at most 5 characters.");
    assert.equal(message("invalid_ip", { version: "any" }), "Must be an IP address (IPv4 or IPv6).");
    assert.equal(message("invalid_ip", { version: "6" }), "Must be an IPv6 address.");
    assert.equal(message("pattern_mismatch", undefined), "Does not have the expected format.");
    assert.equal(message("pattern_mismatch", { message: "Use ABC-1234" }), "Use ABC-1234");
  });

  test("locale tags fall back to English", () => {
    assert.equal(pickLocale("pt-BR"), "pt");
    assert.equal(pickLocale("ja_JP"), "ja");
    assert.equal(pickLocale("sv"), "en");
    assert.equal(pickLocale(undefined), "en");
  });
});

const EVERY_TYPE = {
  columns: [
    { key: "text", type: "text", max_length: 3 },
    { key: "number", type: "number", min: 0 },
    { key: "boolean", type: "boolean" },
    { key: "email", type: "email" },
    { key: "url", type: "url" },
    { key: "phone", type: "phone", default_region: "US" },
    { key: "date", type: "date", formats: ["YYYY-MM-DD", "MMM D, YYYY"] },
    { key: "datetime", type: "datetime" },
    { key: "time", type: "time", formats: ["h:mm A"] },
    { key: "enum", type: "enum", options: ["a", "b"] },
    { key: "multi", type: "multi_enum", options: ["a", "b"] },
    { key: "regex", type: "regex", pattern: "[A-Z]{3}\\d*" },
    { key: "ip", type: "ip" },
    { key: "country", type: "country" },
    { key: "currency", type: "currency" },
  ],
};

describe("hostile cells", () => {
  test("never throw and never echo the value in an error", () => {
    const canary = "CANARY-7f3a";
    const cells = [
      "\u0000", "\ud800", "\udfff x", "a".repeat(1 << 20), `${canary}\u0000${canary}`, "٣", "＋１ ２０２", "+", "::", "[::1]",
      "https://[::ffff:1.2.3.4]:99999", "1".repeat(400), "-".repeat(300), "9999-12-31T23:59:59-23:59", "0000-00-00",
      "a@b.c".repeat(100), "\u202e" + canary, "Σ".repeat(10), "İ", "𝟘𝟙", "2958465.999999999",
    ];
    const v = new Validator(EVERY_TYPE);
    const out = new Array<string | null>(EVERY_TYPE.columns.length).fill(null);
    let row = 0;
    for (const cell of cells) {
      const errors = v.validateRow(EVERY_TYPE.columns.map(() => cell), ++row, out);
      for (const e of errors) assert.doesNotMatch(JSON.stringify(e), new RegExp(canary));
    }
  });
});

describe("huge cells", () => {
  test("1 MB cells of many shapes take well under a second per row in every type", () => {
    const template = { columns: [...EVERY_TYPE.columns, { key: "nasty", type: "regex", pattern: "(a|aa)+(b+)+c" }] };
    const v = new Validator(template);
    const out = new Array<string | null>(template.columns.length).fill(null);
    const mb = 1 << 20;
    const shapes = ["a".repeat(mb), "1".repeat(mb), "a,".repeat(mb / 2), "é".repeat(mb), " ".repeat(mb) + "x", "+1" + "2".repeat(mb), "a@".repeat(mb / 2), "ab".repeat(mb / 2)];
    let row = 0;
    for (const cell of shapes) {
      const t0 = performance.now();
      v.validateRow(template.columns.map(() => cell), ++row, out);
      const ms = performance.now() - t0;
      assert.ok(ms < 10000, `shape ${row} took ${ms.toFixed(0)} ms`);
    }
  });
});

describe("streaming uniqueness", () => {
  test("duplicates are found across separately fed rows and a re-sent row is not its own duplicate", () => {
    const v = new Validator({ columns: [{ key: "id", type: "text", unique: true }] });
    const out: (string | null)[] = [null];
    assert.deepEqual(v.validateRow(["a"], 1, out), []);
    assert.deepEqual(v.validateRow(["b"], 2, out), []);
    assert.deepEqual(v.validateRow(["a"], 1, out), [], "the same row again");
    assert.deepEqual(v.validateRow([" a "], 900, out), [{ row: 900, column: "id", code: "duplicate", params: { row: "1" } }]);
  });

  test("missing cells at the end of a short row are empty", () => {
    const v = new Validator({ columns: [{ key: "a", type: "text" }, { key: "b", type: "text", required: true }] });
    const out: (string | null)[] = [null, null];
    assert.deepEqual(v.validateRow(["x"], 1, out), [{ row: 1, column: "b", code: "required" }]);
    assert.deepEqual(out, ["x", null]);
  });
});

describe("uniqueness table", () => {
  test("keeping hashes only, claims and releases agree with a Map, through growth and deletions", () => {
    let seed = 7;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    // Each row has one value at a time, as a grid row has one cell per column.
    const values = new Map<number, string>();
    const u = new MemoryUniqueness((_, row) => values.get(row) ?? null);
    const model = new Map<string, number>();
    for (let k = 0; k < 200000; k++) {
      const row = 1 + rand(3000);
      const held = values.get(row);
      if (held !== undefined) {
        u.release(0, held, row);
        if (model.get(held) === row) model.delete(held);
        values.delete(row);
      } else {
        const key = `k${rand(2000)}`;
        values.set(row, key);
        const want = model.get(key) ?? row;
        if (!model.has(key)) model.set(key, row);
        assert.equal(u.claim(0, key, row), want, `claim ${key} by ${row}`);
      }
    }
  });

  test("claims and releases agree with a Map, through growth and deletions", () => {
    let seed = 99;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const u = new MemoryUniqueness();
    const model = new Map<string, number>();
    for (let k = 0; k < 200000; k++) {
      const key = `k${rand(5000)}`;
      const row = 1 + rand(300);
      if (rand(3) === 0) {
        u.release(0, key, row);
        if (model.get(key) === row) model.delete(key);
      } else {
        const want = model.get(key) ?? row;
        if (!model.has(key)) model.set(key, row);
        assert.equal(u.claim(0, key, row), want, `claim ${key} by ${row}`);
      }
    }
  });

  test("forget lets an edited row give its old value up", () => {
    const v = new Validator({ columns: [{ key: "email", type: "email", unique: true, unique_ignore_case: true }] });
    const out: (string | null)[] = [null];
    v.validateRow(["a@x.io"], 1, out);
    assert.equal(v.validateRow(["A@x.io"], 2, out)[0]?.code, "duplicate");
    v.forget(["a@x.io"], 1);
    assert.deepEqual(v.validateRow(["b@x.io"], 1, out), []);
    assert.deepEqual(v.validateRow(["A@x.io"], 2, out), [], "row 2 now holds the value alone");
  });
});

describe("fold", () => {
  test("the whole-string fast path equals folding code point by code point", () => {
    const alphabet = ["A", "z", "Σ", "σ", "ς", "İ", "I", "ı", "Ä", "Ǆ", "ǅ", "Ω", "Ж", "ẞ", "\u1c89", "\ua7cb", "\u{10d50}", "\u{16ea0}", "\u{10400}", " ", "-", "ﬀ", "K"];
    const one = (ch: string): string => {
      const c = ch.codePointAt(0) ?? 0;
      if (c === 0x130) return "i";
      if (c === 0x1c89 || c === 0xa7cb || (c >= 0x10d50 && c <= 0x10d65) || (c >= 0x16ea0 && c <= 0x16eb8)) return ch;
      return ch.toLowerCase();
    };
    let seed = 5;
    for (let k = 0; k < 20000; k++) {
      let s = "";
      const n = k % 9;
      for (let j = 0; j < n; j++) {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        s += alphabet[seed % alphabet.length];
      }
      assert.equal(fold(s), [...s].map(one).join(""), JSON.stringify(s));
    }
  });
});
