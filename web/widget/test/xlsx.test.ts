// The streaming XLSX reader on small workbooks made here: numbers as Excel
// shows them, dates and times as their number format asks (SheetJS's SSF,
// the formatter of @e965/xlsx, is the oracle), blank rows dropped and
// counted.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as XLSX from "@e965/xlsx";
import { openWorkbook, readSheet, type SheetRows } from "../src/parse/xlsx.ts";
import { dateKind } from "../src/parse/dates.ts";
import { generalNumber, plain } from "../src/parse/numbers.ts";

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** storedZip writes files into a zip without compression (method 0). */
function storedZip(files: Record<string, string>): Uint8Array<ArrayBuffer> {
  const enc = new TextEncoder();
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const [name, text] of Object.entries(files)) {
    const n = enc.encode(name);
    const data = enc.encode(text);
    const crc = crc32(data);
    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(4, 20, true);
    local.setUint32(14, crc, true);
    local.setUint32(18, data.length, true);
    local.setUint32(22, data.length, true);
    local.setUint16(26, n.length, true);
    locals.push(new Uint8Array(local.buffer), n, data);
    const central = new DataView(new ArrayBuffer(46));
    central.setUint32(0, 0x02014b50, true);
    central.setUint16(4, 20, true);
    central.setUint16(6, 20, true);
    central.setUint32(16, crc, true);
    central.setUint32(20, data.length, true);
    central.setUint32(24, data.length, true);
    central.setUint16(28, n.length, true);
    central.setUint32(42, offset, true);
    centrals.push(new Uint8Array(central.buffer), n);
    offset += 30 + n.length + data.length;
  }
  const size = centrals.reduce((s, b) => s + b.length, 0);
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, Object.keys(files).length, true);
  end.setUint16(10, Object.keys(files).length, true);
  end.setUint32(12, size, true);
  end.setUint32(16, offset, true);
  const parts = [...locals, ...centrals, new Uint8Array(end.buffer)];
  const out = new Uint8Array(parts.reduce((s, b) => s + b.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"';
const REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/** workbook makes an XLSX of one sheet from its sheetData XML and cell formats (style i+1 has formats[i]). */
function workbook(sheetData: string, formats: (number | string)[] = [], date1904 = false): Blob {
  const custom = formats.filter((f): f is string => typeof f === "string");
  const numFmts = custom.map((code, i) => `<numFmt numFmtId="${164 + i}" formatCode="${code.replaceAll("&", "&amp;").replaceAll('"', "&quot;")}"/>`).join("");
  const xfs = formats.map((f) => `<xf numFmtId="${typeof f === "number" ? f : 164 + custom.indexOf(f)}" applyNumberFormat="1"/>`).join("");
  return new Blob([
    storedZip({
      "_rels/.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
      "xl/workbook.xml": `<workbook ${NS} xmlns:r="${REL}"><workbookPr date1904="${date1904 ? 1 : 0}"/><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>`,
      "xl/_rels/workbook.xml.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${REL}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="${REL}/styles" Target="styles.xml"/></Relationships>`,
      "xl/styles.xml": `<styleSheet ${NS}><numFmts>${numFmts}</numFmts><cellXfs><xf numFmtId="0"/>${xfs}</cellXfs></styleSheet>`,
      "xl/worksheets/sheet1.xml": `<worksheet ${NS}><sheetData>${sheetData}</sheetData></worksheet>`,
    }),
  ]);
}

async function read(blob: Blob): Promise<SheetRows> {
  return readSheet(await openWorkbook(blob), 0);
}

/** One number cell per row, column A, with style s. */
function column(values: readonly string[], s = 0): string {
  return values.map((v, i) => `<row r="${i + 1}"><c r="A${i + 1}"${s ? ` s="${s}"` : ""}><v>${v}</v></c></row>`).join("");
}

describe("XLSX numbers as Excel shows them", () => {
  const cases: [string, string][] = [
    ["41800000.009999998", "41800000.01"],
    ["0.30000000000000004", "0.3"],
    ["0.1", "0.1"],
    ["-1.5", "-1.5"],
    ["3.3333333333333335", "3.33333333333333"],
    ["0.33333333333333331", "0.333333333333333"],
    ["-0", "0"],
    ["0", "0"],
    ["42", "42"],
    ["1E+21", "1000000000000000000000"],
    ["1.2345678901234567E+19", "12345678901234600000"],
    ["9007199254740993", "9007199254740990"],
    ["123456789012345678", "123456789012346000"],
    ["999999999999999.9", "1000000000000000"],
    ["1E-7", "0.0000001"],
    ["-2.5000000000000001E-10", "-0.00000000025"],
    ["1.2345678901234567E-300", "0." + "0".repeat(299) + "123456789012346"],
  ];
  test("rounded to 15 significant digits, shortest, without exponent", async () => {
    const rows = await read(workbook(column(cases.map(([v]) => v))));
    assert.deepEqual(
      rows.slice().map((r) => r[0]),
      cases.map(([, want]) => want),
    );
  });

  test("a formula's cached number too; a value that is no number is kept", async () => {
    const rows = await read(workbook('<row r="1"><c r="A1"><f>1/3</f><v>0.33333333333333331</v></c><c r="B1"><v>n/a</v></c><c r="C1" t="str"><v>0.30000000000000004</v></c></row>'));
    assert.deepEqual(rows.row(0), ["0.333333333333333", "n/a", "0.30000000000000004"]);
  });

  test("generalNumber: the largest double and plain notation", () => {
    assert.equal(generalNumber("1.7976931348623157E+308"), plain(String(1.7976931348623157e308)));
    assert.equal(plain("1.5e+3"), "1500");
    assert.equal(plain("-1e-3"), "-0.001");
    assert.equal(plain("12.5"), "12.5");
  });
});

describe("XLSX dates and times follow the cell's number format", () => {
  // One column per format, one row per serial; SSF formats the same serial
  // with the ISO pattern of the format's kind.
  const formats: (number | string)[] = ["yyyy-mm-dd hh:mm:ss", "yyyy-mm-dd", 22, 14, "h:mm", 21, "dd/mm/yyyy hh:mm", "[$-409]mmmm d, yyyy;@", 'd"."m"."yy h"h"'];
  // No serial within half a second of midnight: SSF 0.20.3 loses the 1904
  // offset when it rounds up to the next day (tested on its own below).
  const serials = [45000, 45000.5, 45000.25, 45000.99998, 1, 59, 61, 2957003.5];
  const iso = { date: "yyyy-mm-dd", datetime: "yyyy-mm-dd hh:mm:ss", time: "hh:mm:ss" } as const;

  for (const date1904 of [false, true]) {
    test(`${date1904 ? 1904 : 1900} system: datetimes keep midnight, dates drop the time, times of one day are bare`, async () => {
      const sheet = serials.map((v, r) => `<row r="${r + 1}">${formats.map((_, c) => `<c r="${String.fromCharCode(65 + c)}${r + 1}" s="${c + 1}"><v>${v}</v></c>`).join("")}</row>`).join("");
      const rows = await read(workbook(sheet, formats, date1904));
      serials.forEach((v, r) => {
        formats.forEach((f, c) => {
          const kind = dateKind(typeof f === "number" ? f : 164, typeof f === "number" ? undefined : f);
          assert.ok(kind === "date" || kind === "datetime" || kind === "time", String(f));
          const pattern = kind === "time" && v >= 1 ? iso.datetime : iso[kind];
          const want = (XLSX.SSF as { format(code: string, v: number, o: { date1904: boolean }): string }).format(pattern, v, { date1904 });
          assert.equal(rows.row(r)[c], want, `${v} as ${f}`);
        });
      });
    });
  }

  test("rounded to the second: a datetime half a second before midnight is the next day, a date is not", async () => {
    for (const [date1904, next] of [[false, "2023-03-16"], [true, "2027-03-17"]] as const) {
      const rows = await read(workbook('<row r="1"><c r="A1" s="1"><v>45000.999999</v></c><c r="B1" s="2"><v>45000.999999</v></c></row>', ["yyyy-mm-dd hh:mm:ss", "yyyy-mm-dd"], date1904));
      assert.deepEqual(rows.row(0), [`${next} 00:00:00`, date1904 ? "2027-03-16" : "2023-03-15"]);
    }
  });

  test("a time of day under one day, and an elapsed time", async () => {
    const rows = await read(workbook('<row r="1"><c r="A1" s="1"><v>0.5</v></c><c r="B1" s="2"><v>0</v></c><c r="C1" s="3"><v>1.5</v></c><c r="D1" s="4"><v>0.0006944444444444445</v></c></row>', ["h:mm AM/PM", 20, "[h]:mm:ss", "mm:ss"]));
    assert.deepEqual(rows.row(0), ["12:00:00", "00:00:00", "36:00:00", "00:01:00"]);
  });

  test("t=\"d\" cells: the format decides too", async () => {
    const cell = (col: string, s: number, v: string): string => `<c r="${col}1" t="d" s="${s}"><v>${v}</v></c>`;
    const rows = await read(workbook(`<row r="1">${cell("A", 1, "2023-03-15T00:00:00")}${cell("B", 2, "2023-03-15T10:30:00")}${cell("C", 0, "2023-03-15T00:00:00")}${cell("D", 0, "2023-03-15T10:30:00")}</row>`, ["yyyy-mm-dd hh:mm", "yyyy-mm-dd"]));
    assert.deepEqual(rows.row(0), ["2023-03-15 00:00:00", "2023-03-15", "2023-03-15", "2023-03-15 10:30:00"]);
  });

  test("a serial out of Excel's date range (up to 9999-12-31) is a number", async () => {
    const values = ["-1", "2958465.5", "2958466", "1E+300"];
    const rows = await read(workbook(column(values, 1), ["yyyy-mm-dd hh:mm"]));
    assert.deepEqual(
      rows.slice().map((r) => r[0]),
      ["-1", "9999-12-31 12:00:00", "2958466", "1" + "0".repeat(300)],
    );
    const rows1904 = await read(workbook(column(["2957003.5", "2957004"], 1), ["yyyy-mm-dd hh:mm"], true));
    assert.deepEqual(
      rows1904.slice().map((r) => r[0]),
      ["9999-12-31 12:00:00", "2957004"],
    );
  });

  test("a midnight datetime made by SheetJS keeps its time, like the rest of its column", async () => {
    const ws: XLSX.WorkSheet = { "!ref": "A1:A3", A1: { t: "s", v: "when" }, A2: { t: "n", v: 45000, z: "yyyy-mm-dd hh:mm:ss" }, A3: { t: "n", v: 45000.75, z: "yyyy-mm-dd hh:mm:ss" } };
    const book = XLSX.utils.book_new();
    XLSX.utils.book_append_sheet(book, ws, "S");
    const rows = await read(new Blob([XLSX.write(book, { type: "array", bookType: "xlsx" }) as ArrayBuffer]));
    assert.deepEqual(rows.slice(), [["when"], ["2023-03-15 00:00:00"], ["2023-03-15 18:00:00"]]);
  });
});

describe("XLSX blank rows", () => {
  test("are dropped and counted, listed or skipped in the XML; blank rows after the last are no rows", async () => {
    const s = (col: string, r: number, text: string): string => `<c r="${col}${r}" t="inlineStr"><is><t xml:space="preserve">${text}</t></is></c>`;
    const sheet = [
      `<row r="2">${s("A", 2, "id")}${s("B", 2, "name")}</row>`,
      `<row r="3">${s("A", 3, "  ")}${s("B", 3, "\t")}</row>`,
      `<row r="4"><c r="A4"><v>1</v></c>${s("B", 4, "Ann")}</row>`,
      `<row r="5"/>`,
      `<row r="7"><c r="A7"><v>2</v></c>${s("B", 7, "Bob")}</row>`,
      `<row r="8">${s("A", 8, " ")}</row>`,
      `<row r="9" ht="20" customHeight="1"/>`,
    ].join("");
    const rows = await read(workbook(sheet));
    assert.deepEqual(rows.slice(), [["id", "name"], ["1", "Ann"], ["2", "Bob"]]);
    // Row 1 (not in the XML), 3 (whitespace), 5 (empty), 6 (not in the XML).
    assert.equal(rows.skipped, 4);
  });

  test("rows without numbers follow the row before", async () => {
    const rows = await read(workbook('<row><c><v>1</v></c></row><row><c t="inlineStr"><is><t></t></is></c></row><row><c><v>2</v></c></row>'));
    assert.deepEqual([rows.slice(), rows.skipped], [[["1"], ["2"]], 1]);
  });
});

describe("XLSX text", () => {
  test("line ends written in the XML are LF, as XML 1.0 says; a CR written as &#13; stays", async () => {
    const s = (col: string, text: string): string => `<c r="${col}1" t="inlineStr"><is><t>${text}</t></is></c>`;
    const rows = await read(workbook(`<row r="1">${s("A", "a\r\nb")}${s("B", "c\rd")}${s("C", "e&#13;f")}${s("D", "<![CDATA[g\r\nh]]>")}</row>`));
    assert.deepEqual(rows.row(0), ["a\nb", "c\nd", "e\rf", "g\nh"]);
  });
});
