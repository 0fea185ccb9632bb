// The legacy reader (XLS and ODS through SheetJS) follows the XLSX reader's
// rules: numbers as Excel shows them, dates by the cell's format (a datetime
// at midnight stays a datetime), blank rows dropped and counted.
import { test } from "node:test";
import assert from "node:assert/strict";
import { utils, write } from "@e965/xlsx";
import { readLegacy } from "../src/xls/entry.ts";

function workbook(bookType: "xls" | "ods"): ArrayBuffer {
  const sheet = utils.aoa_to_sheet([
    ["Amount", "Signed up"],
    [41800000.009999998, 7306],
    [null, null],
    ["  ", null],
    [0.30000000000000004, 17533.623067129629],
  ]);
  for (const ref of ["B2", "B5"]) {
    const cell = sheet[ref] as { z?: string };
    cell.z = "yyyy-mm-dd hh:mm:ss";
  }
  const wb = utils.book_new();
  utils.book_append_sheet(wb, sheet, "Data");
  const out = write(wb, { bookType, type: "array" }) as ArrayBuffer;
  return out;
}

for (const bookType of ["xls", "ods"] as const) {
  test(`${bookType}: numbers, midnight datetimes and blank rows as in XLSX`, () => {
    const sheet = readLegacy(workbook(bookType)).rows(0);
    assert.deepEqual(sheet.rows, [
      ["Amount", "Signed up"],
      ["41800000.01", "1920-01-01 00:00:00"],
      ["0.3", "1948-01-01 14:57:13"],
    ]);
    assert.equal(sheet.skipped, 2);
  });
}
