// The streaming rule engine: rows go in one at a time, uniqueness is kept
// across the whole import, and errors name row, column and rule only.

import { buildCheck, EMPTY, type Check, type Failure } from "./checks.ts";
import { message, type ErrorCode, type Locale, type Params } from "./messages.ts";
import { checkTemplate, TemplateError, type ColumnSpec, type RuleSpec, type TemplateSpec } from "./template.ts";
import { fold } from "./text.ts";
import { MemoryUniqueness, type Uniqueness } from "./unique.ts";

/** One error: row number, column key, code and value-free params. */
export interface ValidationError {
  readonly row: number;
  readonly column: string;
  readonly code: ErrorCode;
  readonly params?: Params;
}

interface CompiledColumn {
  readonly spec: ColumnSpec;
  readonly check: Check;
  readonly def: string | null;
}

const NO_ERRORS: readonly ValidationError[] = Object.freeze([]);

/**
 * Validator validates and normalises the rows of one import against one
 * template. Build it once per import; it is not safe to share between
 * imports because it holds the uniqueness state.
 */
export class Validator {
  /** The checked template. */
  readonly template: TemplateSpec;
  private readonly columns: readonly CompiledColumn[];
  private readonly rules: readonly RuleSpec[];
  private readonly uniqueness: Uniqueness;
  // Scratch: 1 when the cell failed its check in the current row.
  private readonly failed: Uint8Array;
  /** Whether the row validateRow checked last has a cell that is not empty after trimming (hasValue, without trimming again). */
  filled = false;

  /**
   * Compiles template (a decoded object or JSON text). Throws TemplateError
   * when the template is refused, exactly as the Go engine refuses it.
   * With keysOnly, validateRow's out holds normalised values only where the
   * engine reads them itself (unique keys, a required_if's when with
   * equals); elsewhere a valid cell may be left as it is: for a caller that
   * needs the errors alone, the same errors.
   */
  constructor(template: unknown, uniqueness: Uniqueness = new MemoryUniqueness(), keysOnly = false) {
    this.template = checkTemplate(template);
    this.uniqueness = uniqueness;
    this.rules = this.template.rules;
    const read = new Set<number>();
    for (const rule of this.rules) if (rule.rule === "required_if" && rule.equals !== null) read.add(rule.when);
    this.columns = this.template.columns.map((spec, i) => {
      const check = buildCheck(spec.spec, keysOnly && !spec.unique && !read.has(i));
      let def: string | null = null;
      if (spec.default !== null) {
        const t = spec.default.trim();
        const v = t === "" ? EMPTY : check(t);
        if (typeof v !== "string") throw new TemplateError(spec.key, "invalid_default", "default does not pass the column's own check");
        def = v;
      }
      return { spec, check, def };
    });
    this.failed = new Uint8Array(this.columns.length);
  }

  /** keys lists the template's column keys in row order. */
  get keys(): string[] {
    return this.columns.map((c) => c.spec.key);
  }

  /**
   * validateRow checks one row (cells in template column order; missing
   * cells are empty) numbered row, writes the normalised values into out
   * (null for empty or invalid cells) and returns the row's errors in
   * documented order. It allocates nothing for a valid row but out's strings.
   */
  validateRow(cells: readonly (string | null | undefined)[], row: number, out: (string | null)[]): readonly ValidationError[] {
    let errors: ValidationError[] | null = null;
    const cols = this.columns;
    const failed = this.failed;
    let filled = false;
    for (let i = 0; i < cols.length; i++) {
      const c = cols[i]!;
      const raw = cells[i];
      failed[i] = 0;
      const t = raw == null ? "" : raw.trim();
      let r: string | Failure = EMPTY;
      if (t !== "") {
        filled = true;
        r = c.check(t);
      }
      if (r === EMPTY) {
        if (c.def !== null) r = c.def;
        else {
          out[i] = null;
          if (c.spec.required) (errors ??= []).push({ row, column: c.spec.key, code: "required" });
          continue;
        }
      }
      if (typeof r !== "string") {
        out[i] = null;
        failed[i] = 1;
        const e: ValidationError = r.params === undefined ? { row, column: c.spec.key, code: r.code } : { row, column: c.spec.key, code: r.code, params: r.params };
        (errors ??= []).push(e);
        continue;
      }
      out[i] = r;
      if (c.spec.unique) {
        const key = c.spec.uniqueIgnoreCase ? fold(r) : r;
        const first = this.uniqueness.claim(i, key, row);
        if (first !== row) (errors ??= []).push({ row, column: c.spec.key, code: "duplicate", params: { row: String(first) } });
      }
    }
    this.filled = filled;
    for (const rule of this.rules) {
      if (rule.rule === "required_if") {
        const when = out[rule.when];
        if (when == null) continue;
        if (rule.equals !== null && !rule.equals.includes(when)) continue;
        if (out[rule.column] != null || failed[rule.column] === 1) continue;
        (errors ??= []).push({ row, column: cols[rule.column]!.spec.key, code: "required_if", params: { when: cols[rule.when]!.spec.key } });
      } else {
        if (rule.columns.some((k) => out[k] != null || failed[k] === 1)) continue;
        const keys = rule.columns.map((k) => cols[k]!.spec.key);
        (errors ??= []).push({ row, column: keys[0]!, code: "one_of_required", params: { columns: keys.join(",") } });
      }
    }
    return errors ?? NO_ERRORS;
  }

  /**
   * forget releases the uniqueness claims row made with cells, before the
   * row is edited and validated again; otherwise its old values would stay
   * taken and other rows holding them would still read as duplicates.
   */
  forget(cells: readonly (string | null | undefined)[], row: number): void {
    for (let i = 0; i < this.columns.length; i++) {
      const key = this.uniqueKey(i, cells[i]);
      if (key !== null) this.uniqueness.release(i, key, row);
    }
  }

  /**
   * uniqueKey is the key cell claims in column i, exactly as validateRow
   * claims it (case folded when the column ignores case), or null when it
   * claims none (not a unique column, empty, invalid; a unique column has
   * no default).
   */
  uniqueKey(i: number, cell: string | null | undefined): string | null {
    const c = this.columns[i];
    if (!c?.spec.unique) return null;
    const t = cell == null ? "" : cell.trim();
    if (t === "") return null;
    const r = c.check(t);
    if (typeof r !== "string") return null;
    return c.spec.uniqueIgnoreCase ? fold(r) : r;
  }
}

/** Result of validating a whole batch of rows with validate(). */
export interface ValidationResult {
  readonly rows: (string | null)[][];
  readonly errors: ValidationError[];
}

/**
 * validate is the one-shot helper: a fresh import of rows numbered from 1.
 * Streaming callers use Validator directly.
 */
export function validate(template: unknown, rows: readonly (readonly (string | null)[])[]): ValidationResult {
  const v = new Validator(template);
  const out: (string | null)[][] = [];
  const errors: ValidationError[] = [];
  rows.forEach((cells, i) => {
    const o: (string | null)[] = new Array<string | null>(v.template.columns.length).fill(null);
    errors.push(...v.validateRow(cells, i + 1, o));
    out.push(o);
  });
  return { rows: out, errors };
}

/** errorMessage renders an error in locale; it never includes a cell value. */
export function errorMessage(e: ValidationError, locale: Locale = "en"): string {
  return message(e.code, e.params, locale);
}
