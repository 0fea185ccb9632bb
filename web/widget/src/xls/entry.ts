// xls.js: the legacy-format reader (XLS, ODS), built on SheetJS and loaded by
// the parsing worker only when such a file is chosen (it is larger than the
// whole widget). It exposes one function on the worker's global scope.
import { read, SSF, utils, type CellObject, type WorkBook } from "@e965/xlsx";
import { isoCellToISO, serialToISO } from "../parse/dates.ts";

/** A workbook read by SheetJS, as the worker uses it. */
export interface LegacyBook {
  sheets: string[];
  rows(index: number): string[][];
}

function cellText(cell: CellObject | undefined, date1904: boolean): string {
  if (!cell || cell.v === undefined || cell.v === null) return "";
  switch (cell.t) {
    case "b":
      return cell.v ? "TRUE" : "FALSE";
    case "n":
      if (typeof cell.z === "string" && SSF.is_date(cell.z)) return serialToISO(cell.v as number, date1904);
      if (typeof cell.z === "number" && SSF.is_date(SSF.get_table()[cell.z] ?? "")) return serialToISO(cell.v as number, date1904);
      return String(cell.v);
    case "d":
      return isoCellToISO((cell.v as Date).toISOString());
    case "e":
      return cell.w ?? "#ERROR";
    default:
      return String(cell.v);
  }
}

/** Reads a whole XLS or ODS file; throws SheetJS's errors (password, corrupt). */
function readLegacy(data: ArrayBuffer): LegacyBook {
  const book: WorkBook = read(data, { type: "array", cellDates: false, cellNF: true, cellText: false, dense: false });
  const date1904 = Boolean(book.Workbook?.WBProps?.date1904);
  return {
    sheets: book.SheetNames.slice(),
    rows(index) {
      const sheet = book.Sheets[book.SheetNames[index] ?? ""];
      if (!sheet || !sheet["!ref"]) return [];
      const range = utils.decode_range(sheet["!ref"]);
      const rows: string[][] = [];
      for (let r = range.s.r; r <= range.e.r; r++) {
        const row: string[] = [];
        let filled = false;
        for (let c = 0; c <= range.e.c; c++) {
          const text = cellText(sheet[utils.encode_cell({ r, c })] as CellObject | undefined, date1904);
          row.push(text);
          if (text !== "") filled = true;
        }
        while (row.length > 0 && row[row.length - 1] === "") row.pop();
        // Blank rows are dropped, as the CSV and XLSX readers drop them.
        if (filled) rows.push(row);
      }
      return rows;
    },
  };
}

(self as unknown as { IntakeXLS: typeof readLegacy }).IntakeXLS = readLegacy;
