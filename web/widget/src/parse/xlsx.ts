// Streaming XLSX reader: workbook parts are read whole (they are small), the
// chosen sheet is inflated and scanned as a stream, so memory holds the rows
// and never the sheet's XML.
import { PackedRows } from "../rows/store.ts";
import { trim } from "../validate/text.ts";
import { dateKind, isoCellToISO, serialToISO, type DateKind } from "./dates.ts";
import { generalNumber } from "./numbers.ts";
import { XmlScanner, attr, type XmlHandler } from "./xml.ts";
import { entryStream, entryText, InflateBudget, readEntries, ZipError, type ZipEntry } from "./zip.ts";

/** Excel's last column is XFD: a cell past it refuses the file (ZipError "too_many_columns"). */
export const MAX_COLUMNS = 16_384;
/** Cells one sheet may hold, blank ones to the left of a cell included (ZipError "too_much_data"). */
export const MAX_CELLS = 32_000_000;
/** Code units of one cell or shared string (Excel's own limit is 32,767 characters). */
export const MAX_CELL_CHARS = 1 << 20;

function tooMuchData(what: string): ZipError {
  return new ZipError("too_much_data", what);
}

/** A sheet of the workbook, as listed in workbook.xml. */
export interface SheetRef {
  name: string;
  path: string;
}

/** What the reader needs to know about a workbook to read any of its sheets. */
export interface Workbook {
  blob: Blob;
  entries: Map<string, ZipEntry>;
  sheets: SheetRef[];
  date1904: boolean;
  sharedStrings: string[];
  /** What each cell style's number format shows of a number (null: the number), by style index. */
  dateKinds: (DateKind | null)[];
}

/**
 * The rows of a sheet, and how many blank rows were dropped from them: rows
 * whose every cell is empty after trimming, above the last row that is not
 * blank, whether the sheet's XML lists them or skips their numbers. Blank
 * rows below the last one are no rows at all, like the empty text after a
 * CSV's final line break.
 */
export class SheetRows extends PackedRows {
  skipped = 0;
}

/**
 * Returns s as a string of its own. A substring of a long string may be kept
 * by the engine as a slice of it; a shared string must not keep a whole
 * chunk of XML (several times the text) alive.
 */
function detach(s: string): string {
  return s.length < 13 ? s : (s + " ").slice(0, -1);
}

function scan(text: string, handler: XmlHandler): void {
  const scanner = new XmlScanner(handler);
  scanner.push(text);
  scanner.end();
}

function resolve(base: string, target: string): string {
  if (target.startsWith("/")) return target.slice(1);
  const parts = base.split("/").slice(0, -1);
  for (const part of target.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== ".") parts.push(part);
  }
  return parts.join("/");
}

function relsPath(part: string): string {
  const slash = part.lastIndexOf("/");
  return `${part.slice(0, slash + 1)}_rels/${part.slice(slash + 1)}.rels`;
}

interface Parts {
  blob: Blob;
  entries: Map<string, ZipEntry>;
  /** The inflated-bytes budget of opening the workbook, shared by its parts. */
  budget?: InflateBudget;
}

async function partText(wb: Parts, path: string): Promise<string | null> {
  const entry = wb.entries.get(path);
  return entry ? entryText(wb.blob, entry, wb.budget) : null;
}

async function relationships(wb: Parts, part: string): Promise<Map<string, { type: string; target: string }>> {
  const rels = new Map<string, { type: string; target: string }>();
  const text = await partText(wb, relsPath(part));
  if (text === null) return rels;
  scan(text, {
    open(name, attrs) {
      if (name !== "Relationship") return;
      const id = attr(attrs, "Id");
      const target = attr(attrs, "Target");
      if (id && target && attr(attrs, "TargetMode") !== "External") rels.set(id, { type: attr(attrs, "Type") ?? "", target: resolve(part, target) });
    },
    close() {},
    text() {},
  });
  return rels;
}

/** Opens an XLSX workbook: lists its sheets and reads shared strings and styles. */
export async function openWorkbook(blob: Blob): Promise<Workbook> {
  const entries = await readEntries(blob);
  const base: Parts = { blob, entries, budget: new InflateBudget() };
  const rootRels = await relationships(base, "");
  let workbookPath = "xl/workbook.xml";
  for (const rel of rootRels.values()) if (rel.type.endsWith("/officeDocument")) workbookPath = rel.target;
  const workbookXml = await partText(base, workbookPath);
  if (workbookXml === null) {
    if (entries.has("EncryptedPackage")) throw new ZipError("encrypted", "the file is encrypted");
    throw new ZipError("not_zip", "no workbook part");
  }
  const rels = await relationships(base, workbookPath);
  const sheets: SheetRef[] = [];
  let date1904 = false;
  scan(workbookXml, {
    open(name, attrs) {
      if (name === "workbookPr") {
        // Extension elements (x14:workbookPr) share the local name; only the
        // attribute itself decides.
        const v = attr(attrs, "date1904");
        if (v !== null) date1904 = v === "1" || v === "true";
      } else if (name === "sheet") {
        const rel = rels.get(attr(attrs, "id") ?? "");
        // Chart sheets and dialog sheets have no cells to import.
        if (rel && rel.type.endsWith("/worksheet")) sheets.push({ name: attr(attrs, "name") ?? rel.target, path: rel.target });
      }
    },
    close() {},
    text() {},
  });
  let sharedPath = "";
  let stylesPath = "";
  for (const rel of rels.values()) {
    if (rel.type.endsWith("/sharedStrings")) sharedPath = rel.target;
    else if (rel.type.endsWith("/styles")) stylesPath = rel.target;
  }
  const [sharedStrings, dateKinds] = await Promise.all([readSharedStrings(base, sharedPath), readDateKinds(base, stylesPath)]);
  return { blob, entries, sheets, date1904, sharedStrings, dateKinds };
}

async function readSharedStrings(wb: Parts, path: string): Promise<string[]> {
  const strings: string[] = [];
  const entry = wb.entries.get(path);
  if (!entry) return strings;
  let current = "";
  let inText = false;
  let phonetic = 0;
  await streamPart(wb.blob, entry, wb.budget ?? new InflateBudget(), {
    open(name, _attrs, selfClosing) {
      if (name === "si") current = "";
      else if (name === "t" && !selfClosing && phonetic === 0) inText = true;
      else if (name === "rPh" && !selfClosing) phonetic++;
      if (name === "si" && selfClosing) strings.push("");
    },
    close(name) {
      if (name === "t") inText = false;
      else if (name === "rPh") phonetic--;
      else if (name === "si") strings.push(detach(current));
    },
    text(text) {
      if (!inText) return;
      current += text;
      if (current.length > MAX_CELL_CHARS) throw tooMuchData("shared string too long");
    },
  });
  return strings;
}

async function readDateKinds(wb: Parts, path: string): Promise<(DateKind | null)[]> {
  const text = path ? await partText(wb, path) : null;
  if (text === null) return [];
  const custom = new Map<number, string>();
  const styles: (DateKind | null)[] = [];
  let inCellXfs = false;
  scan(text, {
    open(name, attrs, selfClosing) {
      if (name === "numFmt") custom.set(Number(attr(attrs, "numFmtId")), attr(attrs, "formatCode") ?? "");
      else if (name === "cellXfs" && !selfClosing) inCellXfs = true;
      else if (name === "xf" && inCellXfs) {
        const id = Number(attr(attrs, "numFmtId") ?? "0");
        styles.push(dateKind(id, custom.get(id)));
      }
    },
    close(name) {
      if (name === "cellXfs") inCellXfs = false;
    },
    text() {},
  });
  return styles;
}

async function streamPart(blob: Blob, entry: ZipEntry, budget: InflateBudget, handler: XmlHandler, onBytes?: (n: number) => void): Promise<void> {
  const scanner = new XmlScanner(handler);
  const reader = (await entryStream(blob, entry, budget)).getReader();
  const decoder = new TextDecoder();
  let read = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    read += value.length;
    onBytes?.(read);
    try {
      scanner.push(decoder.decode(value, { stream: true }));
    } catch (err) {
      // Stop inflating: the rest of the entry is not wanted.
      void reader.cancel().catch(() => {});
      throw err;
    }
  }
  scanner.push(decoder.decode());
  scanner.end();
}

/**
 * Column index (0-based) of a cell reference like "BC12"; MAX_COLUMNS for any
 * column past XFD (the letters are not read further: "AAAAAAAAAA7" is not a
 * column to count to).
 */
export function columnIndex(ref: string): number {
  let n = 0;
  for (let i = 0; i < ref.length; i++) {
    const c = ref.charCodeAt(i);
    if (c < 65 || c > 90) break;
    n = n * 26 + (c - 64);
    if (n > MAX_COLUMNS) return MAX_COLUMNS;
  }
  return n - 1;
}

/** blankRow reports a row whose every cell is empty after trimming. */
function blankRow(row: readonly string[]): boolean {
  for (const cell of row) if (cell !== "" && trim(cell) !== "") return false;
  return true;
}

/**
 * readSheet streams one sheet and returns its rows as strings, blank rows
 * dropped and counted (see SheetRows): numbers as Excel's General format
 * shows them (numbers.ts), dates and times as ISO 8601 as their number
 * format asks (dates.ts), booleans as TRUE/FALSE, errors as Excel shows
 * them. onProgress receives the number of XML bytes read so far.
 */
export async function readSheet(wb: Workbook, index: number, onProgress?: (bytes: number) => void): Promise<SheetRows> {
  const sheet = wb.sheets[index];
  if (!sheet) throw new RangeError(`no sheet ${index}`);
  const entry = wb.entries.get(sheet.path);
  if (!entry) throw new ZipError("not_zip", "sheet part missing");
  // Each row is packed when it ends: its cells, slices of the sheet's XML,
  // never keep that XML alive.
  const rows = new SheetRows();
  let row: string[] = [];
  let col = 0;
  let type = "";
  let style = 0;
  let value = "";
  let inValue = false;
  let inInline = false;
  // Row numbers (1-based): of the row being read, and of the last row kept.
  let rowNumber = 0;
  let lastKept = 0;
  // Cells held, blank ones included, against MAX_CELLS.
  let cells = 0;
  const { sharedStrings, dateKinds, date1904 } = wb;
  await streamPart(
    wb.blob,
    entry,
    new InflateBudget(),
    {
      open(name, attrs, selfClosing) {
        switch (name) {
          case "row": {
            row = [];
            col = 0;
            // A row without its number follows the one before.
            const r = Number(attr(attrs, "r") ?? "");
            rowNumber = Number.isInteger(r) && r > rowNumber ? r : rowNumber + 1;
            break;
          }
          case "c": {
            const ref = attr(attrs, "r");
            if (ref) col = columnIndex(ref);
            if (col >= MAX_COLUMNS) throw new ZipError("too_many_columns", "a cell lies past column XFD");
            type = attr(attrs, "t") ?? "n";
            style = Number(attr(attrs, "s") ?? "0");
            value = "";
            if (selfClosing) col++;
            break;
          }
          case "v":
            inValue = !selfClosing;
            break;
          case "is":
            inInline = true;
            break;
          case "t":
            if (inInline && !selfClosing) inValue = true;
            break;
        }
      },
      close(name) {
        switch (name) {
          case "v":
          case "t":
            inValue = false;
            break;
          case "is":
            inInline = false;
            break;
          case "c": {
            let out = value;
            if (type === "s") out = sharedStrings[Number(value)] ?? "";
            else if (type === "b") out = value === "1" ? "TRUE" : value === "0" ? "FALSE" : value;
            else if (type === "d") out = isoCellToISO(value, dateKinds[style] ?? undefined);
            else if (type === "n") out = numberCell(value, dateKinds[style] ?? null, date1904);
            if (col >= MAX_COLUMNS) throw new ZipError("too_many_columns", "a cell lies past column XFD");
            if (col >= row.length) {
              cells += col + 1 - row.length;
              if (cells > MAX_CELLS) throw tooMuchData("too many cells");
            }
            while (row.length < col) row.push("");
            row[col] = out;
            col++;
            break;
          }
          case "row":
            if (!blankRow(row)) {
              // Every row between the last one kept and this one is blank.
              rows.skipped += rowNumber - lastKept - 1;
              lastKept = rowNumber;
              rows.push(row);
            }
            break;
        }
      },
      text(text) {
        if (!inValue) return;
        value += text;
        if (value.length > MAX_CELL_CHARS) throw tooMuchData("cell too long");
      },
    },
    onProgress,
  );
  return rows;
}

/** The last serial of 9999-12-31, Excel's last day, per date system; past it (and below 0) Excel shows ####. */
const LAST_SERIAL = { 1900: 2_958_465, 1904: 2_957_003 } as const;

/** numberCell writes a number cell's value as its number format shows it. */
function numberCell(value: string, kind: DateKind | null, date1904: boolean): string {
  if (kind === null || value === "") return generalNumber(value);
  const serial = Number(value);
  if (!Number.isFinite(serial) || serial < 0 || serial >= LAST_SERIAL[date1904 ? 1904 : 1900] + 1) return generalNumber(value);
  return serialToISO(serial, date1904, kind);
}
