// The steps that apply to what was opened, the pickers offered, and the
// header row proposed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { offersDelimiter, offersEncoding, stepBar, stepsFor } from "../src/app/steps.ts";
import type { FileInfo } from "../src/worker/messages.ts";

function info(over: Partial<FileInfo>): FileInfo {
  return { format: "csv", encoding: "utf-8", delimiter: ",", pasted: false, sheets: [], sheet: 0, rows: 3, width: 2, blankRows: 0, ...over };
}

test("a CSV has no sheet step; a workbook of several sheets has one", () => {
  assert.deepEqual(stepsFor(info({})), ["upload", "header", "map", "review", "submit", "done"]);
  assert.deepEqual(stepsFor(null), ["upload", "header", "map", "review", "submit", "done"]);
  const oneSheet = info({ format: "xlsx", encoding: undefined, delimiter: undefined, sheets: ["Sheet1"] });
  assert.ok(!stepsFor(oneSheet).includes("sheet"));
  const twoSheets = info({ format: "xlsx", encoding: undefined, delimiter: undefined, sheets: ["A", "B"] });
  assert.deepEqual(stepsFor(twoSheets), ["upload", "sheet", "header", "map", "review", "submit", "done"]);
});

test("the step bar of a CSV at the header row shows no sheet as done", () => {
  const bar = stepBar(info({}), "header");
  assert.deepEqual(bar.filter((s) => s.state === "past").map((s) => s.id), ["upload"]);
  assert.equal(bar.find((s) => s.state === "current")?.id, "header");
  assert.ok(!bar.some((s) => s.id === "sheet"));
  assert.deepEqual(stepBar(info({ sheets: ["A", "B"] }), "map").filter((s) => s.state === "past").map((s) => s.id), ["upload", "sheet", "header"]);
});

test("pickers: encoding and separator for a file, neither for pasted cells or a workbook", () => {
  assert.ok(offersEncoding(info({})) && offersDelimiter(info({})));
  const pasted = info({ format: "tsv", encoding: undefined, delimiter: "\t", pasted: true });
  assert.ok(!offersEncoding(pasted) && !offersDelimiter(pasted));
  const workbook = info({ format: "xlsx", encoding: undefined, delimiter: undefined, sheets: ["A"] });
  assert.ok(!offersEncoding(workbook) && !offersDelimiter(workbook));
  assert.ok(!offersEncoding(null) && !offersDelimiter(null));
});

test("the header row proposed: none for a sheet of data, a row naming the template's columns otherwise", async () => {
  const { proposedHeaderRow } = await import("../src/app/steps.ts");
  const columns = [
    { key: "day", label: "Date", description: "", required: false },
    { key: "total", label: "2024", description: "", required: false },
  ];
  // Headerless numbers and dates (as the 1904 workbooks): no header row.
  assert.equal(proposedHeaderRow([["2006-01-02", "12.5"], ["2006-01-03", "7"]], columns), -1);
  assert.equal(proposedHeaderRow([["Date", "Total"], ["2006-01-02", "12.5"]], columns), 0);
  // A numeric first row that names a template column (its label "2024") is a header.
  assert.equal(proposedHeaderRow([["day", "2024"], ["2006-01-02", "12.5"]], columns), 0);
  assert.equal(proposedHeaderRow([["1999", "2024"], ["2006-01-02", "12.5"]], columns), 0);
  assert.equal(proposedHeaderRow([["1999", "2023"], ["2006-01-02", "12.5"]], columns), -1);
});
