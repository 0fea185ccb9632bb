// Node tests of the parsers against the corpus in testdata/corpus (copied
// from the shared corpus with its licences, so they run in any clone).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { parseDelimited } from "../src/parse/delimited.ts";
import { openWorkbook, readSheet } from "../src/parse/xlsx.ts";
import { serialToISO, isDateFormat } from "../src/parse/dates.ts";
import { lineRuns } from "../src/parse/encoding.ts";
import { XmlScanner, XmlError } from "../src/parse/xml.ts";
import { detectHeaderRow, HEADER_SCAN_ROWS } from "../src/mapping/header.ts";

const corpus = path.resolve(process.cwd(), "../../testdata/corpus");

function blobOf(file: string): Blob {
  return new Blob([readFileSync(file)]);
}

function objects(rows: string[][]): Record<string, string>[] {
  const [header, ...data] = rows;
  return data.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i] ?? ""])));
}

test("csv-spectrum parses to the expected JSON", async () => {
  const dir = path.join(corpus, "csv-spectrum");
  for (const name of readdirSync(path.join(dir, "csvs"))) {
    const result = await parseDelimited(blobOf(path.join(dir, "csvs", name)));
    const expected = JSON.parse(readFileSync(path.join(dir, "json", name.replace(/\.csv$/, ".json")), "utf8")) as Record<string, string>[];
    assert.deepEqual(objects(result.rows.slice()), expected, name);
  }
});

test("csvkit encodings decode to the same text", async () => {
  const dir = path.join(corpus, "csvkit");
  const cases: [string, string, string][] = [
    ["test_latin1.csv", "windows-1252", "©"],
    ["test_utf16_little.csv", "utf-16le", "ʤ"],
    ["test_utf16_big.csv", "utf-16be", "ʤ"],
    ["test_utf8_bom.csv", "utf-8", "ʤ"],
    ["test_utf8.csv", "utf-8", "ʤ"],
  ];
  for (const [name, encoding, needle] of cases) {
    const result = await parseDelimited(blobOf(path.join(dir, name)));
    assert.equal(result.encoding, encoding, name);
    const flat = result.rows.slice().flat().join("|");
    assert.ok(flat.includes(needle), `${name}: ${needle} missing`);
    assert.ok(!flat.includes("\uFEFF"), `${name}: BOM kept`);
  }
  const tsv = await parseDelimited(blobOf(path.join(dir, "dummy.tsv")));
  assert.equal(tsv.delimiter, "\t");
  const mac = await parseDelimited(blobOf(path.join(dir, "mac_newlines.csv")));
  assert.equal(mac.linebreak, "\r");
  assert.ok(mac.rows.length > 1);
});

test("a multi-byte character cut by a read slice survives", async () => {
  const big = "a,b\n" + "x".repeat((4 << 20) - 5) + ",é\n1,2\n";
  const result = await parseDelimited(new Blob([big]));
  assert.equal(result.rows.row(1)[1], "é");
  assert.equal(result.encoding, "utf-8");
});

test("1904 workbooks: column B dates equal Excel's TEXT in column D", async () => {
  for (const name of ["1900.xlsx", "1904.xlsx"]) {
    const wb = await openWorkbook(blobOf(path.join(corpus, "sheetjs/1904", name)));
    const rows = await readSheet(wb, 0);
    let checked = 0;
    for (const row of rows.slice()) {
      if (/^\d{4}-\d{2}-\d{2}$/.test(row[3] ?? "")) {
        assert.equal((row[1] ?? "").slice(0, 10), row[3], `${name}: ${JSON.stringify(row)}`);
        checked++;
      }
    }
    assert.ok(checked > 0, `${name}: no dated rows`);
  }
});

test('sheets.xlsx "data" sheet matches its CSV export', async () => {
  const wb = await openWorkbook(blobOf(path.join(corpus, "csvkit/sheets.xlsx")));
  assert.ok(wb.sheets.length > 1);
  // The CSV export is of the sheet named "data"; the first one is empty.
  const rows = await readSheet(wb, wb.sheets.findIndex((s) => s.name === "data"));
  const csv = await parseDelimited(blobOf(path.join(corpus, "csvkit/sheetsxlsx_converted.csv")));
  // csvkit's export adds columns of its own (time, an extra one), so compare
  // what both have: the row count and the first five header names.
  assert.equal(rows.length, csv.rows.length);
  assert.deepEqual(rows.row(0).slice(0, 5), csv.rows.row(0).slice(0, 5));
  assert.equal(rows.row(3)[3], "FALSE");
});

test("sheetjs 2011: every sheet gives the rows of Excel's own Save as CSV", async () => {
  // Excel for Mac 2011 wrote a line break inside a cell as CR; trailing
  // empty cells are the CSV's, not cells of the sheet.
  const same = (rows: string[][]): string[][] =>
    rows.map((r) => {
      const cells = r.map((c) => c.replace(/\r\n?/g, "\n"));
      while (cells.length > 0 && cells[cells.length - 1] === "") cells.pop();
      return cells;
    });
  let compared = 0;
  for (const name of readdirSync(path.join(corpus, "sheetjs/2011"))) {
    const m = /^(.+\.xlsx)\.(\d+)\.csv$/.exec(name);
    if (!m) continue;
    const wb = await openWorkbook(blobOf(path.join(corpus, "sheetjs", m[1]!)));
    const csv = await parseDelimited(blobOf(path.join(corpus, "sheetjs/2011", name)));
    const sheet = await readSheet(wb, Number(m[2]));
    assert.deepEqual(same(sheet.slice()), same(csv.rows.slice()), name);
    compared++;
  }
  assert.equal(compared, 4);
});

test("sheetjs 1904: no header row is proposed on sheets of serials and dates", async () => {
  for (const name of ["1900.xlsx", "1904.xlsx"]) {
    const rows = await readSheet(await openWorkbook(blobOf(path.join(corpus, "sheetjs/1904", name))), 0);
    assert.equal(detectHeaderRow(rows.slice(0, HEADER_SCAN_ROWS)), -1, name);
    assert.equal(rows.skipped, 0, name);
  }
});

test("serials", () => {
  assert.equal(serialToISO(1, false), "1900-01-01");
  assert.equal(serialToISO(60, false), "1900-02-29");
  assert.equal(serialToISO(61, false), "1900-03-01");
  assert.equal(serialToISO(0, true), "1904-01-01");
  assert.equal(serialToISO(43831.5, false), "2020-01-01 12:00:00");
  assert.ok(isDateFormat(164, "yyyy\\-mm\\-dd"));
  assert.ok(!isDateFormat(164, '0.00"days"'));
  assert.ok(isDateFormat(14, undefined));
});

test("the XML scanner refuses DOCTYPE", () => {
  const s = new XmlScanner({ open() {}, close() {}, text() {} });
  assert.throws(() => s.push('<!DOCTYPE x [<!ENTITY a "b">]><x/>'), XmlError);
});

test("an encoding picked by the user wins over detection", async () => {
  const latin1 = new Uint8Array([0x61, 0x0a, 0xa9, 0x0a]); // "a\n©\n" in Windows-1252
  assert.equal((await parseDelimited(new Blob([latin1]))).rows.row(1)[0], "©");
  const forced = await parseDelimited(new Blob([latin1]), { encoding: "utf-8" });
  assert.equal(forced.encoding, "utf-8");
  assert.equal(forced.rows.row(1)[0], "\uFFFD");
});

test("lineRuns puts lines with characters above U+00FF in runs of their own, and decoding by runs loses nothing", () => {
  const text = "id,name\n1,Zoë\n2,Łukasz\n3,東京\n4,Ann\n5,Bob\n6,🚀";
  const bytes = new TextEncoder().encode(text);
  const ends = lineRuns(bytes);
  const decoder = new TextDecoder();
  let from = 0;
  const runs = ends.map((end) => {
    const run = decoder.decode(bytes.subarray(from, end), { stream: true });
    from = end;
    return run;
  });
  assert.deepEqual(runs, ["id,name\n1,Zoë\n", "2,Łukasz\n3,東京\n", "4,Ann\n5,Bob\n", "6,🚀"]);
  assert.deepEqual(lineRuns(new TextEncoder().encode("a,b\nc,é\n")), [9]);
  assert.deepEqual(lineRuns(new Uint8Array(0)), []);
  // Bytes that end a character begun in the chunk before: that line is wide.
  const cut = new TextEncoder().encode("x東\ny\nz");
  assert.deepEqual(lineRuns(cut.subarray(2)), [3, 6]);
});
