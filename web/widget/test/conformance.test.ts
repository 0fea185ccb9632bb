// Runs every conformance vector of testdata/conformance against the widget's
// TypeScript engines, exactly as the Go tests run them against the server's.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { TemplateError, validate, type ValidationError } from "../src/validate/index.ts";
import { detectHeaderRow, matchColumns, sampleColumns, valueHints } from "../src/mapping/index.ts";

// The runner starts tests in web/widget; the vectors live at the repo root.
const ROOT = path.resolve(process.cwd(), "../../testdata/conformance");

function suites(dir: string): [string, Record<string, unknown>][] {
  const full = path.join(ROOT, dir);
  return readdirSync(full)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => [f, JSON.parse(readFileSync(path.join(full, f), "utf8")) as Record<string, unknown>]);
}

interface ValidateCase {
  name: string;
  template?: unknown;
  rows: (string | null)[][];
  want: (string | null)[][];
  errors: ValidationError[];
}

function plainErrors(errors: readonly ValidationError[]): object[] {
  return errors.map((e) => (e.params === undefined ? { row: e.row, column: e.column, code: e.code } : { row: e.row, column: e.column, code: e.code, params: { ...e.params } }));
}

describe("validate vectors", () => {
  for (const [file, suite] of suites("validate")) {
    describe(file, () => {
      for (const c of suite["cases"] as ValidateCase[]) {
        test(c.name, () => {
          const got = validate(c.template ?? suite["template"], c.rows);
          assert.deepEqual({ want: got.rows, errors: plainErrors(got.errors) }, { want: c.want, errors: c.errors });
        });
      }
    });
  }
});

interface TemplateCase {
  name: string;
  template: unknown;
  error: { column: string; code: string };
}

describe("template vectors", () => {
  for (const [file, suite] of suites("templates")) {
    describe(file, () => {
      for (const c of suite["cases"] as TemplateCase[]) {
        test(c.name, () => {
          assert.throws(
            () => validate(c.template, []),
            (e: unknown) => {
              assert.ok(e instanceof TemplateError, `want TemplateError, got ${String(e)}`);
              assert.deepEqual({ column: e.column, code: e.code }, c.error, e.message);
              return true;
            },
          );
        });
      }
    });
  }
});

interface MappingCase {
  name: string;
  template?: unknown;
  headers?: string[];
  /** Data rows below the headers: the widget's value hints are computed from them. */
  data?: string[][];
  want?: (string | null)[];
  levels?: (string | null)[];
  learned?: { header: string; key: string }[];
  rows?: string[][];
  header_row?: number;
  names?: string[];
}

describe("mapping vectors", () => {
  test("at least 200 column-matching vectors", () => {
    const n = suites("mapping")
      .filter(([file]) => file !== "header_row.json")
      .reduce((sum, [, suite]) => sum + (suite["cases"] as MappingCase[]).length, 0);
    assert.ok(n >= 200, `${n} vectors`);
  });
  for (const [file, suite] of suites("mapping")) {
    describe(file, () => {
      for (const c of suite["cases"] as MappingCase[]) {
        test(c.name, () => {
          if (c.header_row !== undefined) {
            assert.equal(detectHeaderRow(c.rows ?? [], c.names), c.header_row);
            return;
          }
          const template = c.template ?? suite["template"];
          const headers = c.headers ?? [];
          const data = c.data;
          const hints = data ? valueHints(template, sampleColumns({ length: data.length, row: (i) => data[i] ?? [] }, headers.length)) : undefined;
          const got = matchColumns(template, headers, hints, c.learned);
          assert.deepEqual(
            got.map((m) => m.key),
            c.want,
          );
          if (c.levels) assert.deepEqual(got.map((m) => m.level), c.levels);
        });
      }
    });
  }
});
