// xls.js: the legacy-format reader (XLS, ODS), built on SheetJS and loaded by
// the parsing worker only when such a file is chosen (it is larger than the
// whole widget). It exposes one function on the worker's global scope.
import { read, SSF, utils, type CellObject, type WorkBook } from "@e965/xlsx";
import { dateKind, isoCellToISO, serialToISO } from "../parse/dates.ts";
import { generalNumber } from "../parse/numbers.ts";
import { trim } from "../validate/text.ts";

/** A sheet's rows without its blank ones, and how many blank rows were dropped. */
export interface LegacySheet {
  rows: string[][];
  skipped: number;
}

/** A workbook read by SheetJS, as the worker uses it. */
export interface LegacyBook {
  sheets: string[];
  rows(index: number): LegacySheet;
}

/** The number format code of a cell: its own, or the built-in one of its id. */
function formatCode(cell: CellObject): string | undefined {
  if (typeof cell.z === "string") return cell.z;
  if (typeof cell.z === "number") return (SSF as { get_table(): Record<number, string | undefined> }).get_table()[cell.z];
  return undefined;
}

function cellText(cell: CellObject | undefined, date1904: boolean): string {
  if (!cell || cell.v === undefined || cell.v === null) return "";
  switch (cell.t) {
    case "b":
      return cell.v ? "TRUE" : "FALSE";
    case "n": {
      // The same rules as the XLSX reader (docs/parsing.md): the format
      // says date, datetime (even at midnight), time or elapsed time, and
      // other numbers are shown as Excel shows them (15 digits).
      const code = formatCode(cell);
      const kind = code === undefined ? null : dateKind(-1, code);
      if (kind) return serialToISO(cell.v as number, date1904, kind);
      return generalNumber(String(cell.v));
    }
    case "d": {
      const code = formatCode(cell);
      return isoCellToISO((cell.v as Date).toISOString(), (code === undefined ? null : dateKind(-1, code)) ?? undefined);
    }
    case "e":
      return cell.w ?? "#ERROR";
    default:
      return String(cell.v);
  }
}

/** Reads a whole XLS or ODS file; throws SheetJS's errors (password, corrupt). */
export function readLegacy(data: ArrayBuffer): LegacyBook {
  const book: WorkBook = read(data, { type: "array", cellDates: false, cellNF: true, cellText: false, dense: false });
  const date1904 = Boolean(book.Workbook?.WBProps?.date1904);
  return {
    sheets: book.SheetNames.slice(),
    rows(index) {
      const sheet = book.Sheets[book.SheetNames[index] ?? ""];
      if (!sheet || !sheet["!ref"]) return { rows: [], skipped: 0 };
      const range = utils.decode_range(sheet["!ref"]);
      const rows: string[][] = [];
      // Blank rows (every cell empty after trim) are dropped and counted, as
      // the CSV and XLSX readers do; those after the last kept row are no
      // rows at all.
      let blank = 0;
      let skipped = 0;
      for (let r = range.s.r; r <= range.e.r; r++) {
        const row: string[] = [];
        let filled = false;
        for (let c = 0; c <= range.e.c; c++) {
          const text = cellText(sheet[utils.encode_cell({ r, c })] as CellObject | undefined, date1904);
          row.push(text);
          if (trim(text) !== "") filled = true;
        }
        while (row.length > 0 && row[row.length - 1] === "") row.pop();
        if (!filled) {
          blank++;
          continue;
        }
        skipped += blank;
        blank = 0;
        rows.push(row);
      }
      return { rows, skipped };
    },
  };
}

(globalThis as unknown as { IntakeXLS: typeof readLegacy }).IntakeXLS = readLegacy;
