// Value hints: which share of a file column's sampled values a typed
// template column accepts. Computed in the worker, next to the rows; only
// the shares (numbers) reach the matcher, and nothing here is ever sent to
// the server (Go: internal/mapping/values.go, the same rule).

import { trim } from "../validate/text.ts";
import { Validator } from "../validate/index.ts";

/** SAMPLE_SIZE is how many rows hints look at (Go: SampleSize). */
export const SAMPLE_SIZE = 200;
/** A column needs this many non-empty sampled values for a hint (Go: minHintValues). */
const MIN_HINT_VALUES = 5;
/** Types whose values can be told valid without the rest of the row (Go: hintTypes). */
const HINT_TYPES = new Set(["email", "phone", "date", "datetime", "url", "country", "boolean", "number"]);

/**
 * sampleColumns picks up to SAMPLE_SIZE rows spread evenly over rows (row
 * floor(k·n/m) for k < m = min(n, SAMPLE_SIZE)) and returns, per column of
 * width, the non-empty (after trimming) cells of those rows (Go: SampleColumns).
 */
export function sampleColumns(rows: { readonly length: number; row(i: number): readonly (string | null | undefined)[] }, width: number): string[][] {
  const out: string[][] = Array.from({ length: width }, () => []);
  const n = rows.length;
  const m = Math.min(n, SAMPLE_SIZE);
  for (let k = 0; k < m; k++) {
    const row = rows.row(Math.floor((k * n) / m));
    for (let c = 0; c < width && c < row.length; c++) {
      const v = row[c];
      if (v != null && trim(v) !== "") out[c]!.push(v);
    }
  }
  return out;
}

/**
 * valueHints returns, per sampled file column and template column of a
 * hinted type, the share of samples the column's own check accepts
 * (required, unique and default left out), -1 for no hint (Go: ValueHints).
 */
export function valueHints(template: unknown, samples: readonly (readonly string[])[]): number[][] {
  const cols = (template as { columns?: unknown } | null)?.columns;
  const columns: unknown[] = Array.isArray(cols) ? cols : [];
  // Columns that check alike (same type and options) share one validator and one count per file column.
  const validators: Validator[] = [];
  const seen = new Map<string, number>();
  const validatorOf = columns.map((c) => {
    if (typeof c !== "object" || c === null || !HINT_TYPES.has(String((c as { type?: unknown }).type))) return -1;
    const column: Record<string, unknown> = { ...(c as Record<string, unknown>), key: "k" };
    for (const k of ["label", "description", "synonyms", "required", "unique", "unique_ignore_case", "default"]) delete column[k];
    const spec = JSON.stringify(Object.entries(column).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    const known = seen.get(spec);
    if (known !== undefined) return known;
    try {
      validators.push(new Validator({ columns: [column] }));
    } catch {
      return -1;
    }
    seen.set(spec, validators.length - 1);
    return validators.length - 1;
  });
  const out: (string | null)[] = [null];
  return samples.map((values) => {
    const shares = validators.map((v) => {
      if (values.length < MIN_HINT_VALUES) return -1;
      let valid = 0;
      values.forEach((value, k) => {
        if (v.validateRow([value], k + 1, out).length === 0) valid++;
      });
      return valid / values.length;
    });
    return validatorOf.map((k) => (k >= 0 ? shares[k]! : -1));
  });
}
