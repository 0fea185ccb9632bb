// The delimited-file vectors of testdata/conformance/parsing (docs/parsing.md)
// run against parseDelimited and detectDelimiter, and the reader's own cases:
// streaming, a forced delimiter, the sample cut.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseDelimited } from "../src/parse/delimited.ts";
import { CANDIDATES, detectDelimiter, sniffDialect } from "../src/parse/dialect.ts";

// The runner starts tests in web/widget; the vectors live at the repo root.
const VECTORS = path.resolve(process.cwd(), "../../testdata/conformance/parsing/delimiter.json");

interface DelimiterCase {
  name: string;
  input?: string;
  input_hex?: string;
  cut?: boolean;
  delimiter: string;
  linebreak?: string;
  encoding?: string;
  rows?: string[][];
  skipped?: number;
}

function bytesOf(c: DelimiterCase): Uint8Array<ArrayBuffer> {
  if (c.input_hex !== undefined) return new Uint8Array(c.input_hex.match(/../g)?.map((h) => parseInt(h, 16)) ?? []);
  return new TextEncoder().encode(c.input ?? "");
}

const suite = JSON.parse(readFileSync(VECTORS, "utf8")) as { cases: DelimiterCase[] };

describe("parsing vectors: delimiter.json", () => {
  for (const c of suite.cases) {
    test(c.name, async () => {
      if (c.input !== undefined) assert.equal(detectDelimiter(c.input, c.cut ?? false), c.delimiter, "detectDelimiter");
      if (c.cut) return;
      const bytes = bytesOf(c);
      const got = await parseDelimited(new Blob([bytes]));
      const want: Record<string, unknown> = { delimiter: c.delimiter, rows: c.rows, skipped: c.skipped };
      const have: Record<string, unknown> = { delimiter: got.delimiter, rows: got.rows.slice(), skipped: got.skipped };
      if (c.linebreak !== undefined) [want["linebreak"], have["linebreak"]] = [c.linebreak, got.linebreak];
      if (c.encoding !== undefined) [want["encoding"], have["encoding"]] = [c.encoding, got.encoding];
      assert.deepEqual(have, want);
      // One byte per stream chunk: detection and blank rows do not depend on where the text is cut.
      const split = await parseDelimited(new Blob(Array.from(bytes, (b) => new Uint8Array([b]))));
      assert.deepEqual({ delimiter: split.delimiter, rows: split.rows.slice(), skipped: split.skipped }, { delimiter: c.delimiter, rows: c.rows, skipped: c.skipped }, "one byte at a time");
    });
  }
});

describe("parseDelimited", () => {
  test("a forced delimiter wins over detection and over a sep= line, which is still no row", async () => {
    const got = await parseDelimited(new Blob(["a;b,c\n1;2,3\n"]), { delimiter: "," });
    assert.deepEqual([got.delimiter, got.rows.slice()], [",", [["a;b", "c"], ["1;2", "3"]]]);
    const sep = await parseDelimited(new Blob(["sep=;\na;b,c\n1;2,3\n"]), { delimiter: "," });
    assert.deepEqual([sep.delimiter, sep.rows.slice()], [",", [["a;b", "c"], ["1;2", "3"]]]);
  });

  test("the delimiter is detected on the first megabyte: a ; file with a long , tail stays ;", async () => {
    // 20 000 consistent ; lines (well over 100 records), then lines whose
    // commas would win if the whole file were looked at.
    const text = "a;b\n" + "1;2\n".repeat(20_000) + "x,y,z,w\n".repeat(300_000);
    const got = await parseDelimited(new Blob([text]));
    assert.equal(got.delimiter, ";");
    assert.equal(got.rows.length, 320_001);
  });

  test("a sample cut inside a long quoted field still finds the delimiter", async () => {
    const text = 'id|note\n1|"' + "x".repeat(3 << 20) + '"\n2|y\n';
    const got = await parseDelimited(new Blob([text]));
    assert.equal(got.delimiter, "|");
    assert.deepEqual(got.rows.row(2), ["2", "y"]);
  });
});

describe("detectDelimiter", () => {
  test("looks at 100 non-blank records at most", () => {
    const head = "a;b\n".repeat(100);
    assert.equal(detectDelimiter(head + "1,2,3\n".repeat(1000)), ";");
    assert.equal(detectDelimiter("a;b\n".repeat(40) + "1,2,3\n".repeat(60)), ",");
  });
});

describe("detection on hostile text", () => {
  test("stays linear: a megabyte of quotes, of whitespace after a quote, of delimiters", () => {
    const mb = 1 << 20;
    const samples = ['"' + '""'.repeat(mb / 2), '"' + " ".repeat(mb), '"x"'.repeat(mb / 3), ";".repeat(mb), "a,".repeat(mb / 2), '"a" \t'.repeat(mb / 5), "\r".repeat(mb)];
    for (const sample of samples) {
      const started = performance.now();
      for (const cut of [false, true]) sniffDialect(sample, cut);
      // Quadratic scanning takes minutes here; linear, well under a second.
      assert.ok(performance.now() - started < 3000, JSON.stringify(sample.slice(0, 8)));
    }
  });

  test("random text: a candidate or ',', and the same rows whatever the stream cuts", async () => {
    let seed = 11;
    const random = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const alphabet = [",", ";", "\t", "|", '"', "\r", "\n", "\r\n", " ", "a", "1", "sep="];
    for (let i = 0; i < 300; i++) {
      let text = "";
      for (let k = 0, n = Math.floor(random() * 60); k < n; k++) text += alphabet[Math.floor(random() * alphabet.length)];
      const d = detectDelimiter(text);
      assert.ok((CANDIDATES as readonly string[]).includes(d) || text.toLowerCase().startsWith("sep="), JSON.stringify(text));
      const whole = await parseDelimited(new Blob([text]));
      const bytes = new TextEncoder().encode(text);
      const split = await parseDelimited(new Blob(Array.from(bytes, (b) => new Uint8Array([b]))));
      assert.deepEqual([split.rows.slice(), split.skipped], [whole.rows.slice(), whole.skipped], JSON.stringify(text));
      assert.ok(whole.rows.slice().every((row) => row.some((cell) => cell.trim() !== "")), JSON.stringify(text));
    }
  });
});

describe("parseDelimited and the thread's other tasks", () => {
  // The worker's helpers (their loading, their replies) are tasks of the
  // parsing thread: a parse that only ever awaits a stream holding its
  // data would run none of them until it ends.
  test("tasks queued while a file is parsed run before the parse ends", async () => {
    const line = "1,Ann,ann@example.com,+1 201 555 0123,2024-02-29\n";
    const text = line.repeat(200_000);
    let ran = false;
    let rowsWhenRan = -1;
    let rows = 0;
    setTimeout(() => (ran = true), 0);
    const result = await parseDelimited(new Blob([text]), {
      onRows: (r) => {
        rows = r.length;
        if (ran && rowsWhenRan < 0) rowsWhenRan = rows;
      },
    });
    assert.equal(result.rows.length, 200_000);
    assert.ok(rowsWhenRan > 0 && rowsWhenRan < rows, `a timer ran at row ${rowsWhenRan} of ${rows}`);
  });
});
