// Header-row detection with the template's names: the vectors of
// testdata/conformance/mapping/header_row.json, names included (the Go test
// internal/mapping runs the same file).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { detectHeaderRow } from "../src/mapping/index.ts";

const VECTORS = path.resolve(process.cwd(), "../../testdata/conformance/mapping/header_row.json");

interface HeaderCase {
  name: string;
  rows: string[][];
  names?: string[];
  header_row: number;
}

describe("header_row.json with names", () => {
  for (const c of (JSON.parse(readFileSync(VECTORS, "utf8")) as { cases: HeaderCase[] }).cases) {
    test(c.name, () => assert.equal(detectHeaderRow(c.rows, c.names), c.header_row));
  }
});

test("names do not change the header of a sheet that has one", () => {
  const rows = [["Report"], [], ["Name", "Email", "Amount"], ["Ann", "a@x.io", "12"]];
  assert.equal(detectHeaderRow(rows, []), 2);
  assert.equal(detectHeaderRow(rows, ["Name", "name", "Email", "email"]), 2);
  assert.equal(detectHeaderRow(rows, ["Report"]), 2);
});
