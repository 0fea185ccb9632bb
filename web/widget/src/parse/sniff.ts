// What a file is, from its name and first bytes, and whether its text looks
// binary: the widget's worker and the server parity test both call these, so
// the parity test checks the widget's own rules, not a copy.

import type { PackedRows } from "../rows/store.ts";
import type { FileInfo } from "../worker/messages.ts";

/** A failure the app shows with a translated message for code. */
export class UserError extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

/** formatOf picks the reader by extension, refusing what the bytes contradict. */
export function formatOf(name: string, head: Uint8Array): FileInfo["format"] {
  const ext = name.toLowerCase().split(".").pop() ?? "";
  const zip = head[0] === 0x50 && head[1] === 0x4b;
  const cfb = head[0] === 0xd0 && head[1] === 0xcf && head[2] === 0x11 && head[3] === 0xe0;
  if (ext === "xlsx" || ext === "xlsm") {
    if (cfb) throw new UserError("password_protected");
    if (!zip) throw new UserError("not_a_workbook");
    return "xlsx";
  }
  if (ext === "ods" && zip) return "ods";
  if (ext === "xls" || cfb) return "xls";
  if (zip) throw new UserError("unsupported_format");
  return ext === "tsv" || ext === "tab" ? "tsv" : "csv";
}

/** looksBinary: over a tenth control characters in the first 50 rows. */
export function looksBinary(rows: PackedRows): boolean {
  let control = 0;
  let total = 0;
  for (const row of rows.slice(0, 50)) {
    for (const cell of row) {
      for (let i = 0; i < cell.length && total < 20000; i++, total++) {
        const c = cell.charCodeAt(i);
        if ((c < 32 && c !== 9 && c !== 10 && c !== 13) || c === 0xfffd) control++;
      }
    }
  }
  return total > 0 && control / total > 0.1;
}
