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
