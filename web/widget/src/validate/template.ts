// The template format of docs/templates.md: a JSON object checked field by
// field, refusing anything unknown, so that a template the Go engine refuses
// is refused here with the same column and code.

import { isSupportedCountry, type CountryCode } from "libphonenumber-js/core";
import phoneMetadata from "libphonenumber-js/metadata.max.json";
import { boundDecimal, compareDecimal } from "./number.ts";
import { compileFormat, type ExcelSystem, type Format, type TemporalKind } from "./datetime.ts";
import { compileRegex } from "./regex.ts";
import { fold } from "./text.ts";
import type { IPVersion } from "./ip.ts";

/** Codes of a refused template (docs/templates.md, "Template check errors"). */
export type TemplateCode =
  | "invalid_json"
  | "no_columns"
  | "too_many_columns"
  | "unknown_field"
  | "invalid_key"
  | "duplicate_key"
  | "unknown_type"
  | "invalid_option"
  | "invalid_format"
  | "regex_invalid"
  | "regex_unsupported"
  | "invalid_default"
  | "invalid_rule"
  | "unknown_column";

/**
 * TemplateError says why a template was refused: the column key ("" for the
 * whole template, "rule N" for a row rule), a code and a detail that never
 * quotes a cell value.
 */
export class TemplateError extends Error {
  constructor(
    readonly column: string,
    readonly code: TemplateCode,
    readonly detail: string,
  ) {
    super(`template: ${column === "" ? "" : column.startsWith("rule ") ? `${column}: ` : `column "${column}": `}${code}: ${detail}`);
    this.name = "TemplateError";
  }
}

/** The column types of docs/templates.md. */
export type ColumnType =
  | "text"
  | "number"
  | "boolean"
  | "email"
  | "url"
  | "phone"
  | "date"
  | "datetime"
  | "time"
  | "enum"
  | "multi_enum"
  | "regex"
  | "ip"
  | "country"
  | "currency";

const TYPE_OPTIONS: Record<ColumnType, readonly string[]> = {
  text: ["min_length", "max_length"],
  number: ["min", "max", "integer", "decimal_separator", "thousands_separator"],
  boolean: ["true_value", "false_value"],
  email: [],
  url: [],
  phone: ["default_region"],
  date: ["formats", "excel_serial"],
  datetime: ["formats", "excel_serial"],
  time: ["formats"],
  enum: ["options", "case_sensitive", "allow_other"],
  multi_enum: ["options", "case_sensitive", "allow_other", "delimiter"],
  regex: ["pattern", "message"],
  ip: ["version"],
  country: [],
  currency: [],
};

const COMMON_FIELDS = new Set(["key", "label", "description", "type", "required", "unique", "unique_ignore_case", "default", "synonyms"]);
const ALL_OPTIONS = new Set(Object.values(TYPE_OPTIONS).flat());
const KEY = /^[a-z][a-z0-9_]{0,63}$/;
const MAX_COLUMNS = 500;
const MAX_OPTIONS = 10000;

const DEFAULT_FORMATS: Record<TemporalKind, readonly string[]> = {
  date: ["YYYY-MM-DD"],
  datetime: ["YYYY-MM-DD[T]HH:mm:ss", "YYYY-MM-DD HH:mm:ss", "YYYY-MM-DD[T]HH:mm:ssZ"],
  time: ["HH:mm:ss", "HH:mm"],
};

/** One enum option. */
export interface EnumOption {
  readonly value: string;
  readonly label: string;
}

/** Type options after checking, with defaults filled in. */
export type TypeSpec =
  | { readonly type: "text"; readonly minLength: number; readonly maxLength: number }
  | {
      readonly type: "number";
      readonly min: string | null;
      readonly max: string | null;
      readonly integer: boolean;
      readonly decimal: string;
      readonly thousands: string;
    }
  | { readonly type: "boolean"; readonly trueValue: string; readonly falseValue: string }
  | { readonly type: "email" | "url" | "country" | "currency" }
  | { readonly type: "phone"; readonly region: string | null }
  | {
      readonly type: "date" | "datetime" | "time";
      readonly formats: readonly Format[];
      readonly formatList: string;
      readonly excel: ExcelSystem;
    }
  | {
      readonly type: "enum" | "multi_enum";
      readonly options: readonly EnumOption[];
      readonly caseSensitive: boolean;
      readonly allowOther: boolean;
      readonly delimiter: string;
    }
  | { readonly type: "regex"; readonly regex: RegExp; readonly message: string | null }
  | { readonly type: "ip"; readonly version: IPVersion };

/** A checked column. */
export interface ColumnSpec {
  readonly key: string;
  readonly label: string;
  readonly description: string;
  readonly required: boolean;
  readonly unique: boolean;
  readonly uniqueIgnoreCase: boolean;
  /** the raw default; normalised by the engine */
  readonly default: string | null;
  readonly synonyms: readonly string[];
  readonly spec: TypeSpec;
}

/** A checked row rule, columns given by index. */
export type RuleSpec =
  | { readonly rule: "required_if"; readonly column: number; readonly when: number; readonly equals: readonly string[] | null }
  | { readonly rule: "one_of_required"; readonly columns: readonly number[] };

/** A template that passed every check. */
export interface TemplateSpec {
  readonly columns: readonly ColumnSpec[];
  readonly rules: readonly RuleSpec[];
}

type JSONObject = Record<string, unknown>;

function isObject(v: unknown): v is JSONObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Reads typed fields of one column, refusing values of the wrong JSON type. */
class Fields {
  constructor(
    private readonly o: JSONObject,
    private readonly column: string,
  ) {}

  has(name: string): boolean {
    return this.o[name] !== undefined;
  }

  fail(detail: string, code: TemplateCode = "invalid_option"): never {
    throw new TemplateError(this.column, code, detail);
  }

  string(name: string, def: string): string;
  string(name: string, def: null): string | null;
  string(name: string, def: string | null): string | null {
    const v = this.o[name];
    if (v === undefined) return def;
    if (typeof v !== "string") this.fail(`${name} must be a string`);
    return v;
  }

  bool(name: string): boolean {
    const v = this.o[name];
    if (v === undefined) return false;
    if (typeof v !== "boolean") this.fail(`${name} must be true or false`);
    return v;
  }

  count(name: string, def: number): number {
    const v = this.o[name];
    if (v === undefined) return def;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0) this.fail(`${name} must be an integer ≥ 0`);
    return v;
  }

  strings(name: string): string[] | null {
    const v = this.o[name];
    if (v === undefined) return null;
    if (!Array.isArray(v) || !v.every((s) => typeof s === "string")) this.fail(`${name} must be an array of strings`);
    return v as string[];
  }

  raw(name: string): unknown {
    return this.o[name];
  }
}

/**
 * checkTemplate validates a decoded template (or its JSON text) and returns
 * its checked form; it throws TemplateError naming the column and rule.
 */
export function checkTemplate(input: unknown): TemplateSpec {
  let t = input;
  if (typeof t === "string") {
    try {
      t = JSON.parse(t);
    } catch {
      throw new TemplateError("", "invalid_json", "template is not valid JSON");
    }
  }
  if (!isObject(t)) throw new TemplateError("", "invalid_json", "template must be a JSON object");
  for (const name of Object.keys(t)) {
    if (name !== "columns" && name !== "rules") throw new TemplateError("", "unknown_field", `unknown field ${JSON.stringify(name)}`);
  }
  const cols = t["columns"];
  if (cols !== undefined && !Array.isArray(cols)) throw new TemplateError("", "invalid_json", "columns must be an array");
  if (cols === undefined || cols.length === 0) throw new TemplateError("", "no_columns", "a template needs at least one column");
  if (cols.length > MAX_COLUMNS) throw new TemplateError("", "too_many_columns", `at most ${MAX_COLUMNS} columns`);
  const columns: ColumnSpec[] = [];
  const index = new Map<string, number>();
  for (const c of cols) {
    const col = checkColumn(c, index);
    index.set(col.key, columns.length);
    columns.push(col);
  }
  const rawRules = t["rules"];
  if (rawRules !== undefined && !Array.isArray(rawRules)) throw new TemplateError("", "invalid_json", "rules must be an array");
  const rules = (rawRules ?? []).map((r, i) => checkRule(r, `rule ${i}`, index));
  return { columns, rules };
}

function checkColumn(c: unknown, index: Map<string, number>): ColumnSpec {
  if (!isObject(c)) throw new TemplateError("", "invalid_json", "a column must be a JSON object");
  const rawKey = typeof c["key"] === "string" ? c["key"] : "";
  for (const name of Object.keys(c)) {
    if (!COMMON_FIELDS.has(name) && !ALL_OPTIONS.has(name)) {
      throw new TemplateError(rawKey, "unknown_field", `unknown field ${JSON.stringify(name)}`);
    }
  }
  if (!KEY.test(rawKey)) throw new TemplateError(rawKey, "invalid_key", "key must match ^[a-z][a-z0-9_]{0,63}$");
  const key = rawKey;
  if (index.has(key)) throw new TemplateError(key, "duplicate_key", "key used by another column");
  const f = new Fields(c, key);
  const type = c["type"];
  if (typeof type !== "string" || !Object.hasOwn(TYPE_OPTIONS, type)) {
    throw new TemplateError(key, "unknown_type", "type must be one of the documented types");
  }
  const ct = type as ColumnType;
  for (const name of Object.keys(c)) {
    if (ALL_OPTIONS.has(name) && !TYPE_OPTIONS[ct].includes(name)) f.fail(`${name} does not apply to type ${ct}`);
  }
  const label = f.string("label", key);
  const description = f.string("description", "");
  const required = f.bool("required");
  const unique = f.bool("unique");
  const uniqueIgnoreCase = f.bool("unique_ignore_case");
  const def = f.string("default", null);
  const synonyms = f.strings("synonyms") ?? [];
  if (uniqueIgnoreCase && !unique) f.fail("unique_ignore_case needs unique");
  if (def !== null && unique) f.fail("default is not allowed with unique");
  const spec = checkType(ct, f);
  return { key, label, description, required, unique, uniqueIgnoreCase, default: def, synonyms, spec };
}

function checkType(type: ColumnType, f: Fields): TypeSpec {
  switch (type) {
    case "text": {
      const minLength = f.count("min_length", 0);
      const maxLength = f.count("max_length", Number.MAX_SAFE_INTEGER);
      if (minLength > maxLength) f.fail("min_length is above max_length");
      return { type, minLength, maxLength };
    }
    case "number":
      return checkNumber(f);
    case "boolean":
      return { type, trueValue: f.string("true_value", "true"), falseValue: f.string("false_value", "false") };
    case "email":
    case "url":
    case "country":
    case "currency":
      return { type };
    case "phone": {
      const region = f.string("default_region", null);
      if (region !== null && !isSupportedCountry(region as CountryCode, phoneMetadata)) f.fail("default_region is not a known region");
      return { type, region };
    }
    case "date":
    case "datetime":
    case "time":
      return checkTemporal(type, f);
    case "enum":
    case "multi_enum":
      return checkEnum(type, f);
    case "regex": {
      const pattern = f.string("pattern", null);
      if (pattern === null) f.fail("pattern is required");
      const message = f.string("message", null);
      const re = compileRegex(pattern);
      if (!(re instanceof RegExp)) f.fail(re.detail, re.code);
      return { type, regex: re, message };
    }
    case "ip": {
      const version = f.string("version", "any");
      if (version !== "4" && version !== "6" && version !== "any") f.fail('version must be "4", "6" or "any"');
      return { type, version };
    }
  }
}

function checkNumber(f: Fields): TypeSpec {
  const bound = (name: string): string | null => {
    if (!f.has(name)) return null;
    const b = boundDecimal(f.raw(name));
    if (b === null) f.fail(`${name} must be a decimal number`);
    return b;
  };
  const min = bound("min");
  const max = bound("max");
  if (min !== null && max !== null && compareDecimal(min, max) > 0) f.fail("min is above max");
  const decimal = f.string("decimal_separator", ".");
  if (decimal !== "." && decimal !== ",") f.fail('decimal_separator must be "." or ","');
  const thousands = f.string("thousands_separator", decimal === "." ? "," : ".");
  if (![",", ".", " ", "'", ""].includes(thousands)) f.fail("thousands_separator is not one of the documented separators");
  if (thousands === decimal) f.fail("thousands_separator equals decimal_separator");
  return { type: "number", min, max, integer: f.bool("integer"), decimal, thousands };
}

function checkTemporal(type: TemporalKind, f: Fields): TypeSpec {
  const list = f.strings("formats") ?? DEFAULT_FORMATS[type];
  if (list.length === 0) f.fail("formats must not be empty", "invalid_format");
  const formats = list.map((src) => {
    const fmt = compileFormat(src, type);
    if (typeof fmt === "string") f.fail(fmt, "invalid_format");
    return fmt;
  });
  const excel = type === "time" ? "off" : f.string("excel_serial", "1900");
  if (excel !== "1900" && excel !== "1904" && excel !== "off") f.fail('excel_serial must be "1900", "1904" or "off"');
  return { type, formats, formatList: list.join(" | "), excel };
}

function checkEnum(type: "enum" | "multi_enum", f: Fields): TypeSpec {
  const raw = f.raw("options");
  if (!Array.isArray(raw) || raw.length === 0) f.fail("options must list at least one option");
  if (raw.length > MAX_OPTIONS) f.fail(`at most ${MAX_OPTIONS} options`);
  const caseSensitive = f.bool("case_sensitive");
  const options: EnumOption[] = raw.map((o) => {
    if (typeof o === "string") return { value: o, label: o };
    if (!isObject(o) || typeof o["value"] !== "string") f.fail('an option is a string or {"value", "label"}');
    for (const name of Object.keys(o)) if (name !== "value" && name !== "label") f.fail(`unknown option field ${JSON.stringify(name)}`, "unknown_field");
    const label = o["label"] === undefined ? o["value"] : o["label"];
    if (typeof label !== "string") f.fail("an option label must be a string");
    return { value: o["value"], label };
  });
  const seen = new Set<string>();
  for (const o of options) {
    if (o.value.trim() === "") f.fail("an option value is empty");
    const k = caseSensitive ? o.value : fold(o.value);
    if (seen.has(k)) f.fail("two options have the same value");
    seen.add(k);
  }
  let delimiter = ",";
  if (type === "multi_enum") {
    delimiter = f.string("delimiter", ",");
    if ([...delimiter].length !== 1 || delimiter.trim() === "") f.fail("delimiter must be one character, not whitespace");
  }
  return { type, options, caseSensitive, allowOther: f.bool("allow_other"), delimiter };
}

function checkRule(r: unknown, name: string, index: Map<string, number>): RuleSpec {
  const fail = (code: TemplateCode, detail: string): never => {
    throw new TemplateError(name, code, detail);
  };
  if (!isObject(r)) return fail("invalid_rule", "a rule must be a JSON object");
  const col = (v: unknown): number => {
    if (typeof v !== "string") return fail("invalid_rule", "a rule names columns by key");
    const i = index.get(v);
    if (i === undefined) return fail("unknown_column", "the rule names a column that does not exist");
    return i;
  };
  const allow = (fields: string[]): void => {
    for (const k of Object.keys(r)) if (!fields.includes(k)) fail("unknown_field", `unknown field ${JSON.stringify(k)}`);
  };
  switch (r["rule"]) {
    case "required_if": {
      allow(["rule", "column", "when", "equals"]);
      const column = col(r["column"]);
      const when = col(r["when"]);
      if (column === when) fail("invalid_rule", "column and when are the same column");
      const eq = r["equals"];
      if (eq !== undefined && (!Array.isArray(eq) || !eq.every((s) => typeof s === "string"))) fail("invalid_rule", "equals must be an array of strings");
      return { rule: "required_if", column, when, equals: eq === undefined ? null : (eq as string[]) };
    }
    case "one_of_required": {
      allow(["rule", "columns"]);
      const cs = r["columns"];
      if (!Array.isArray(cs) || cs.length < 2) return fail("invalid_rule", "one_of_required needs at least two columns");
      const columns = cs.map(col);
      if (new Set(columns).size !== columns.length) fail("invalid_rule", "a column is listed twice");
      return { rule: "one_of_required", columns };
    }
    default:
      return fail("invalid_rule", "rule must be required_if or one_of_required");
  }
}
