// The XLSX reader's bounds (issue #15 finding 4): the XML scanner is linear
// in its input, a cell past column XFD refuses the file without counting up
// to it, an entry inflating past the ratio stops early, and a read has an
// inflated-bytes and a cell budget. Each refusal comes as an error code the
// worker passes on and every locale has a message for.
import { test } from "node:test";
import assert from "node:assert/strict";
import { deflateRawSync, createDeflateRaw } from "node:zlib";
import { XmlScanner, XmlError, MAX_MARKUP } from "../src/parse/xml.ts";
import { openWorkbook, readSheet, columnIndex, MAX_COLUMNS } from "../src/parse/xlsx.ts";
import { entryText, readEntries, InflateBudget, ZipError } from "../src/parse/zip.ts";
import { LOCALES, formatBytes, translator } from "../src/i18n/i18n.ts";

interface Part {
  name: string;
  /** Bytes as stored. */
  data: Uint8Array;
  /** 0 stored, 8 deflated. */
  method: number;
  size: number;
}

/** zip assembles entries as given (the reader checks no CRC, so it is left 0). */
function zip(parts: Part[]): Uint8Array<ArrayBuffer> {
  const enc = new TextEncoder();
  const out: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const p of parts) {
    const n = enc.encode(p.name);
    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(4, 20, true);
    local.setUint16(8, p.method, true);
    local.setUint32(18, p.data.length, true);
    local.setUint32(22, p.size, true);
    local.setUint16(26, n.length, true);
    out.push(new Uint8Array(local.buffer), n, p.data);
    const central = new DataView(new ArrayBuffer(46));
    central.setUint32(0, 0x02014b50, true);
    central.setUint16(4, 20, true);
    central.setUint16(6, 20, true);
    central.setUint16(10, p.method, true);
    central.setUint32(20, p.data.length, true);
    central.setUint32(24, p.size, true);
    central.setUint16(28, n.length, true);
    central.setUint32(42, offset, true);
    centrals.push(new Uint8Array(central.buffer), n);
    offset += 30 + n.length + p.data.length;
  }
  const size = centrals.reduce((s, b) => s + b.length, 0);
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, parts.length, true);
  end.setUint16(10, parts.length, true);
  end.setUint32(12, size, true);
  end.setUint32(16, offset, true);
  const all = [...out, ...centrals, new Uint8Array(end.buffer)];
  const bytes = new Uint8Array(all.reduce((s, b) => s + b.length, 0));
  let at = 0;
  for (const b of all) {
    bytes.set(b, at);
    at += b.length;
  }
  return bytes;
}

const NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"';
const REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

function deflated(name: string, text: string): Part {
  const raw = new TextEncoder().encode(text);
  return { name, data: deflateRawSync(raw), method: 8, size: raw.length };
}

/** An XLSX of one sheet whose part is given (as stored bytes). */
function book(sheet: Part): Blob {
  return new Blob([
    zip([
      deflated("_rels/.rels", `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>`),
      deflated("xl/workbook.xml", `<workbook ${NS} xmlns:r="${REL}"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>`),
      deflated("xl/_rels/workbook.xml.rels", `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`),
      { ...sheet, name: "xl/worksheets/sheet1.xml" },
    ]),
  ]);
}

function sheetOf(sheetData: string): Blob {
  return book(deflated("", `<worksheet ${NS}><sheetData>${sheetData}</sheetData></worksheet>`));
}

/** A sheet part with one text node of n bytes of "a" (in a cell or between elements), deflated in pieces (never held inflated). */
async function bombPart(n: number, inCell = true): Promise<Part> {
  const head = inCell ? `<worksheet ${NS}><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>` : `<worksheet ${NS}><sheetData>`;
  const tail = inCell ? "</t></is></c></row></sheetData></worksheet>" : "</sheetData></worksheet>";
  const z = createDeflateRaw({ level: 9 });
  const chunks: Buffer[] = [];
  z.on("data", (c: Buffer) => chunks.push(c));
  const done = new Promise((resolve) => z.on("end", resolve));
  const piece = Buffer.alloc(1 << 20, "a");
  z.write(head);
  for (let left = n; left > 0; left -= piece.length) {
    const ok = z.write(left >= piece.length ? piece : piece.subarray(0, left));
    if (!ok) await new Promise((resolve) => z.once("drain", resolve));
  }
  z.end(tail);
  await done;
  return { name: "", data: new Uint8Array(Buffer.concat(chunks)), method: 8, size: head.length + n + tail.length };
}

/** Runs f, returning what it threw, its time and the peak RSS growth over it (sampled). */
async function measure(f: () => Promise<unknown>): Promise<{ err: unknown; ms: number; rssMB: number; heapMB: number }> {
  globalThis.gc?.();
  const rss0 = process.memoryUsage().rss;
  const heap0 = process.memoryUsage().heapUsed;
  let peak = rss0;
  let heapPeak = heap0;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    peak = Math.max(peak, m.rss);
    heapPeak = Math.max(heapPeak, m.heapUsed);
  }, 5);
  const start = performance.now();
  let err: unknown = null;
  try {
    await f();
  } catch (e) {
    err = e;
  }
  const ms = performance.now() - start;
  clearInterval(timer);
  const m = process.memoryUsage();
  peak = Math.max(peak, m.rss);
  heapPeak = Math.max(heapPeak, m.heapUsed);
  return { err, ms, rssMB: (peak - rss0) / 2 ** 20, heapMB: (heapPeak - heap0) / 2 ** 20 };
}

function codeOf(err: unknown): string {
  return err instanceof ZipError ? err.code : err instanceof Error ? err.name : String(err);
}

/** Feeds n code units of "a" (no "<") inside <x>…</x> in 64 Ki pieces; returns the scanner's work and the text length seen. */
function feed(n: number): { work: number; seen: number } {
  let seen = 0;
  const s = new XmlScanner({ open() {}, close() {}, text: (t) => void (seen += t.length) });
  const piece = "a".repeat(1 << 16);
  s.push("<x>");
  for (let left = n; left > 0; left -= piece.length) s.push(left >= piece.length ? piece : piece.slice(0, left));
  s.push("</x>");
  s.end();
  return { work: s.work, seen };
}

test("the XML scanner's work is linear in its input: 10 MB and 40 MB of text without '<'", () => {
  const small = feed(10 << 20);
  assert.equal(small.seen, 10 << 20);
  assert.ok(typeof small.work === "number" && small.work <= 1.01 * (10 << 20) + 100, `work ${small.work} for 10 MB`);
  const start = performance.now();
  const large = feed(40 << 20);
  const ms = performance.now() - start;
  assert.equal(large.seen, 40 << 20);
  assert.ok(large.work <= 4.1 * small.work, `work ${large.work} for 40 MB against ${small.work} for 10 MB`);
  assert.ok(ms < 5000, `40 MB in ${ms.toFixed(0)} ms`);
});

test("a comment or CDATA section of any length is scanned linearly; a tag past MAX_MARKUP is refused", () => {
  const piece = "b".repeat(1 << 16);
  let text = "";
  const s = new XmlScanner({ open() {}, close() {}, text: (t) => void (text += t) });
  s.push("<x><!--");
  for (let k = 0; k < 256; k++) s.push(piece);
  s.push("--><![CDATA[");
  for (let k = 0; k < 256; k++) s.push(piece);
  s.push("]]></x>");
  s.end();
  assert.equal(text.length, 256 << 16);
  assert.ok(s.work <= 1.01 * (512 << 16) + 100, `work ${s.work}`);
  const t = new XmlScanner({ open() {}, close() {}, text() {} });
  assert.throws(() => {
    t.push('<c r="');
    for (let k = 0; k * piece.length <= MAX_MARKUP; k++) t.push(piece);
  }, XmlError);
});

test("sliced anywhere, the scanner reports what it reports on the whole text (entities, CR LF, CDATA, comments cut)", () => {
  const doc = '<?xml version="1.0"?><r a="x>y" b=\'1\'><t>A &amp; B &#x41;&#65;&lt;\r\nC\rD</t><!-- c -- x --><![CDATA[E]]F\r\n]]><e/>G&unknown;H&#13;</r>';
  const events = (slices: string[]): string[] => {
    const out: string[] = [];
    let text = "";
    const flush = () => {
      if (text) out.push(`text:${text}`);
      text = "";
    };
    const s = new XmlScanner({
      open: (n, a, self) => (flush(), out.push(`open:${n}:${a}:${self}`)),
      close: (n) => (flush(), out.push(`close:${n}`)),
      text: (t) => void (text += t),
    });
    for (const slice of slices) s.push(slice);
    s.end();
    flush();
    return out;
  };
  const whole = events([doc]);
  assert.ok(whole.includes("text:A & B AA<\nC\nD"), whole.join("|"));
  assert.ok(whole.includes("text:E]]F\n"), whole.join("|"));
  for (let size = 1; size <= 12; size++) {
    const slices: string[] = [];
    for (let at = 0; at < doc.length; at += size) slices.push(doc.slice(at, at + size));
    assert.deepEqual(events(slices), whole, `slices of ${size}`);
  }
  // Text after the root element is still a truncated document.
  const s = new XmlScanner({ open() {}, close() {}, text() {} });
  s.push("<r/>trailing");
  assert.throws(() => s.end(), XmlError);
});

test("column references are capped at XFD without counting past it", async () => {
  assert.equal(columnIndex("A1"), 0);
  assert.equal(columnIndex("XFD1"), MAX_COLUMNS - 1);
  assert.equal(columnIndex("XFE1"), MAX_COLUMNS);
  assert.equal(columnIndex("AAAAAAAAAA7"), MAX_COLUMNS);
  // XFD itself is a column like any other.
  const rows = await readSheet(await openWorkbook(sheetOf('<row r="1"><c r="A1"><v>1</v></c><c r="XFD1"><v>2</v></c></row>')), 0);
  assert.equal(rows.row(0).length, MAX_COLUMNS);
  assert.equal(rows.row(0)[MAX_COLUMNS - 1], "2");
  for (const sheet of ['<row><c r="XFE1"><v>1</v></c></row>', '<row><c r="XFD1"/><c><v>1</v></c></row>']) {
    await assert.rejects(readSheet(await openWorkbook(sheetOf(sheet)), 0), (err) => codeOf(err) === "too_many_columns");
  }
});

test("acceptance: a 1.5 KB file with a cell at AAAAAAAAAA7 is refused in < 5 s and < 300 MB", async () => {
  const blob = sheetOf('<row r="7"><c r="A7"><v>1</v></c><c r="AAAAAAAAAA7" t="inlineStr"><is><t>x</t></is></c></row>');
  assert.ok(blob.size < 2000);
  const m = await measure(async () => readSheet(await openWorkbook(blob), 0));
  console.log(`far column: ${codeOf(m.err)} in ${m.ms.toFixed(0)} ms, RSS +${m.rssMB.toFixed(0)} MB, heap +${m.heapMB.toFixed(0)} MB`);
  assert.equal(codeOf(m.err), "too_many_columns");
  assert.ok(m.ms < 5000 && m.rssMB < 300, JSON.stringify(m));
});

for (const inCell of [true, false]) {
  // In a cell the cell's length bound refuses it first (too much data);
  // between elements, where no handler keeps it, the ratio bound does.
  test(`acceptance: a zip bomb (one 200 MB text node ${inCell ? "in a cell" : "between elements"}) is refused in < 5 s and < 300 MB`, async () => {
    const part = await bombPart(200 << 20, inCell);
    const blob = book(part);
    const m = await measure(async () => readSheet(await openWorkbook(blob), 0));
    console.log(`zip bomb ${inCell ? "in a cell" : "between elements"} (${(blob.size / 1024).toFixed(0)} KB → ${(part.size / 2 ** 20).toFixed(0)} MB): ${codeOf(m.err)} in ${m.ms.toFixed(0)} ms, RSS +${m.rssMB.toFixed(0)} MB, heap +${m.heapMB.toFixed(0)} MB`);
    assert.equal(codeOf(m.err), inCell ? "too_much_data" : "zip_bomb");
    assert.ok(m.ms < 5000 && m.rssMB < 300, JSON.stringify(m));
  });
}

test("a read's inflated-bytes budget is shared by its entries and stops inflating", async () => {
  const text = "<x>" + "y".repeat(100_000) + "</x>";
  const blob = new Blob([zip([deflated("a.xml", text), deflated("b.xml", text)])]);
  const entries = await readEntries(blob);
  const budget = new InflateBudget(150_000);
  assert.equal((await entryText(blob, entries.get("a.xml")!, budget)).length, text.length);
  await assert.rejects(entryText(blob, entries.get("b.xml")!, budget), (err) => codeOf(err) === "too_much_data");
  // A part read whole is bounded on its own (64 Mi code units).
  const raw = new TextEncoder().encode("<x>" + " ".repeat((64 << 20) + 1) + "</x>");
  const big = new Blob([zip([{ name: "xl/styles.xml", data: raw, method: 0, size: raw.length }])]);
  await assert.rejects(entryText(big, (await readEntries(big)).get("xl/styles.xml")!), (err) => codeOf(err) === "too_much_data");
  // A directory that admits the size is refused before inflating.
  await assert.rejects(entryText(blob, entries.get("a.xml")!, new InflateBudget(1000)), (err) => codeOf(err) === "too_much_data");
});

test("a cell longer than MAX_CELL_CHARS and a sheet past MAX_CELLS are refused as too much data", async () => {
  const long = `<row><c t="inlineStr"><is><t>${"z".repeat((1 << 20) + 1)}</t></is></c></row>`;
  await assert.rejects(readSheet(await openWorkbook(sheetOf(long)), 0), (err) => codeOf(err) === "too_much_data");
  // 2,000 rows of one cell at XFD: 32.8 million cells with their blanks.
  const wide = Array.from({ length: 2000 }, (_, i) => `<row r="${i + 1}"><c r="XFD${i + 1}"><v>1</v></c></row>`).join("");
  const m = await measure(async () => readSheet(await openWorkbook(sheetOf(wide)), 0));
  console.log(`2,000 rows at XFD: ${codeOf(m.err)} in ${m.ms.toFixed(0)} ms, RSS +${m.rssMB.toFixed(0)} MB`);
  assert.equal(codeOf(m.err), "too_much_data");
});

test("every locale has a filled message for each refusal", () => {
  for (const locale of LOCALES) {
    const t = translator(locale);
    for (const key of ["err_zip_bomb", "err_too_many_columns", "err_too_much_data"] as const) {
      const text = t(key);
      assert.ok(text && !/\{\w+\}/.test(text), `${locale} ${key}: ${text}`);
    }
    if (locale !== "en") assert.notEqual(t("err_too_much_data"), translator("en")("err_too_much_data"), locale);
  }
});

test("the app fills too_large's size wherever the code comes from, and says too much data with no size limit", async () => {
  const { fail } = await import("../src/app/chrome.ts");
  for (const [maxFileBytes, locale, want] of [
    [10 * 2 ** 20, "en", "The file is larger than 10 MB."],
    [0, "en", translator("en")("err_too_much_data")],
    [1536, "fr", translator("fr")("err_too_large", { size: formatBytes(1536, "fr") })],
  ] as const) {
    let shown = "";
    const app = { config: { importer: { maxFileBytes }, hostOrigin: "" }, state: { locale }, t: translator(locale), go: { upload: (text: string) => void (shown = text) } };
    fail(app as unknown as Parameters<typeof fail>[0], "too_large");
    assert.equal(shown, want);
    assert.ok(!/\{\w+\}/.test(shown), shown);
  }
});
