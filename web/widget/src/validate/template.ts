// The template format of docs/templates.md: a JSON object checked field by
// field, refusing anything unknown, so that a template the Go engine refuses
// is refused here with the same column and code.

import { isSupportedCountry, type CountryCode } from "libphonenumber-js/core";
import phoneMetadata from "libphonenumber-js/metadata.max.json";
import { boundDecimal, compareDecimal } from "./number.ts";
import { compileFormat, type ExcelSystem, type Format, type TemporalKind } from "./datetime.ts";
import { compileRegex, isProblem, type WholeMatcher } from "./regex.ts";
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
  | { readonly type: "regex"; readonly regex: WholeMatcher; readonly message: string | null }
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

/** The JSON type of every column field, as the Go Column struct decodes it. */
type FieldKind = "string" | "bool" | "int" | "decimal" | "strings" | "options";
const FIELD_KINDS: Record<string, FieldKind> = {
  key: "string", label: "string", description: "string", type: "string", required: "bool", unique: "bool",
  unique_ignore_case: "bool", default: "string", synonyms: "strings", min_length: "int", max_length: "int",
  min: "decimal", max: "decimal", integer: "bool", decimal_separator: "string", thousands_separator: "string",
  true_value: "string", false_value: "string", default_region: "string", formats: "strings", excel_serial: "string",
  options: "options", case_sensitive: "bool", allow_other: "bool", delimiter: "string", pattern: "string",
  message: "string", version: "string",
};

// A plain decimal bound written as a string (Go: template.CanonicalDecimal).
const PLAIN_DECIMAL = /^[+-]?[0-9]+(\.[0-9]+)?$/;

/** decodes reports whether v decodes as kind, JSON null (the zero value) included. */
function decodes(v: unknown, kind: FieldKind): boolean {
  if (v === null) return true;
  switch (kind) {
    case "string":
      return typeof v === "string";
    case "bool":
      return typeof v === "boolean";
    case "int":
      return typeof v === "number" && Number.isSafeInteger(v);
    case "decimal":
      return (typeof v === "number" && Number.isFinite(v)) || (typeof v === "string" && PLAIN_DECIMAL.test(v));
    case "strings":
      // A null element decodes to "" in Go, as a null field does.
      return Array.isArray(v) && v.every((x) => typeof x === "string" || x === null);
    case "options":
      return Array.isArray(v) && v.every(decodesOption);
  }
}

function decodesOption(o: unknown): boolean {
  if (typeof o === "string") return true;
  if (!isObject(o)) return false;
  return Object.entries(o).every(([k, x]) => (k === "value" || k === "label") && (x === null || typeof x === "string"));
}

/** stringList reads an accepted "strings" field: null elements are "" (Go's zero value). */
function stringList(v: unknown): string[] | null {
  return Array.isArray(v) ? v.map((x) => (typeof x === "string" ? x : "")) : null;
}

/** Reads the fields of one column after decodes() has accepted them all. */
class Fields {
  constructor(
    private readonly o: JSONObject,
    readonly column: string,
  ) {}

  /** has is true when the JSON spells the field out, even as null. */
  has(name: string): boolean {
    return Object.hasOwn(this.o, name);
  }

  fail(detail: string, code: TemplateCode = "invalid_option"): never {
    throw new TemplateError(this.column, code, detail);
  }

  /** string returns the field, "" for null, or def when absent. */
  string(name: string, def: string): string {
    if (!this.has(name)) return def;
    const v = this.o[name];
    return typeof v === "string" ? v : "";
  }

  optionalString(name: string): string | null {
    const v = this.o[name];
    return typeof v === "string" ? v : null;
  }

  bool(name: string): boolean {
    return this.o[name] === true;
  }

  int(name: string): number | null {
    const v = this.o[name];
    return typeof v === "number" ? v : null;
  }

  strings(name: string): string[] | null {
    return stringList(this.o[name]);
  }

  raw(name: string): unknown {
    return this.o[name];
  }
}

/**
 * checkTemplate validates a decoded template (or its JSON text) in the Go
 * engine's order (internal/template/parse.go) and returns its checked form;
 * it throws TemplateError naming the column and rule.
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
  const cols = t["columns"] ?? [];
  const rawRules = t["rules"] ?? [];
  if (!Array.isArray(cols)) throw new TemplateError("", "invalid_json", "columns must be an array");
  if (!Array.isArray(rawRules)) throw new TemplateError("", "invalid_json", "rules must be an array");
  if (cols.length === 0) throw new TemplateError("", "no_columns", "a template needs at least one column");
  if (cols.length > MAX_COLUMNS) throw new TemplateError("", "too_many_columns", `at most ${MAX_COLUMNS} columns`);
  const columns: ColumnSpec[] = [];
  const index = new Map<string, number>();
  cols.forEach((c, i) => {
    const col = checkColumn(c, i);
    if (index.has(col.key)) throw new TemplateError(col.key, "duplicate_key", "key used by another column");
    index.set(col.key, columns.length);
    columns.push(col);
  });
  const rules = rawRules.map((r, i) => checkRule(r, `rule ${i}`, index));
  return { columns, rules };
}

function checkColumn(c: unknown, i: number): ColumnSpec {
  if (!isObject(c)) throw new TemplateError("", "invalid_json", `column ${i} is not a JSON object`);
  const key = c["key"];
  if (typeof key !== "string" || key === "") throw new TemplateError("", "invalid_key", `column ${i} has no key`);
  if (!KEY.test(key)) throw new TemplateError(key, "invalid_key", "a key is a lower-case letter then up to 63 of a-z, 0-9, _");
  const type = c["type"];
  if (typeof type !== "string" && type !== null) throw new TemplateError(key, "unknown_type", "type is missing or not a string");
  if (typeof type !== "string" || !Object.hasOwn(TYPE_OPTIONS, type)) throw new TemplateError(key, "unknown_type", "type is not one of the documented types");
  const ct = type as ColumnType;
  for (const name of Object.keys(c).sort()) {
    if (COMMON_FIELDS.has(name) || TYPE_OPTIONS[ct].includes(name)) continue;
    if (ALL_OPTIONS.has(name)) throw new TemplateError(key, "invalid_option", `option ${JSON.stringify(name)} does not apply to type ${ct}`);
    throw new TemplateError(key, "unknown_field", `unknown field ${JSON.stringify(name)}`);
  }
  const f = new Fields(c, key);
  for (const [name, v] of Object.entries(c)) {
    const kind = FIELD_KINDS[name];
    if (kind !== undefined && !decodes(v, kind)) f.fail(`${name} has the wrong JSON type`);
  }
  const label = f.optionalString("label") || key;
  const uniqueIgnoreCase = f.bool("unique_ignore_case");
  const unique = f.bool("unique");
  const def = f.optionalString("default");
  if (uniqueIgnoreCase && !unique) f.fail("unique_ignore_case needs unique");
  if (def !== null && unique) f.fail("a unique column cannot have a default");
  const spec = checkType(ct, f);
  return {
    key,
    label,
    description: f.optionalString("description") ?? "",
    required: f.bool("required"),
    unique,
    uniqueIgnoreCase,
    default: def,
    synonyms: f.strings("synonyms") ?? [],
    spec,
  };
}

function checkType(type: ColumnType, f: Fields): TypeSpec {
  switch (type) {
    case "text": {
      const min = f.int("min_length");
      const max = f.int("max_length");
      if ((min !== null && min < 0) || (max !== null && max < 0)) f.fail("min_length and max_length cannot be negative");
      if (min !== null && max !== null && min > max) f.fail("min_length is over max_length");
      return { type, minLength: min ?? 0, maxLength: max ?? Number.MAX_SAFE_INTEGER };
    }
    case "number":
      return checkNumber(f);
    case "boolean": {
      const trueValue = f.string("true_value", "true");
      const falseValue = f.string("false_value", "false");
      if (trueValue === "" || falseValue === "" || trueValue === falseValue) f.fail("true_value and false_value must be two different non-empty strings");
      return { type, trueValue, falseValue };
    }
    case "email":
    case "url":
    case "country":
    case "currency":
      return { type };
    case "phone": {
      if (f.has("default_region") && !isSupportedCountry(f.string("default_region", "") as CountryCode, phoneMetadata)) {
        f.fail("default_region is not a supported ISO 3166 region");
      }
      return { type, region: f.optionalString("default_region") || null };
    }
    case "date":
    case "datetime":
    case "time":
      return checkTemporal(type, f);
    case "enum":
    case "multi_enum":
      return checkEnum(type, f);
    case "regex": {
      const pattern = f.optionalString("pattern") ?? "";
      if (pattern === "") f.fail("pattern is required");
      const re = compileRegex(pattern);
      if (isProblem(re)) f.fail(re.detail, re.code);
      return { type, regex: re, message: f.optionalString("message") || null };
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
    const v = f.raw(name);
    return v === undefined || v === null ? null : boundDecimal(v);
  };
  const decimal = f.string("decimal_separator", ".");
  if (decimal !== "." && decimal !== ",") f.fail('decimal_separator must be "." or ","');
  const thousands = f.string("thousands_separator", decimal === "," ? "." : ",");
  if (![",", ".", " ", "'", ""].includes(thousands)) f.fail('thousands_separator must be ",", ".", " ", "\'" or ""');
  if (thousands === decimal) f.fail("decimal_separator and thousands_separator must differ");
  const min = bound("min");
  const max = bound("max");
  if (min !== null && max !== null && compareDecimal(min, max) > 0) f.fail("min is over max");
  return { type: "number", min, max, integer: f.bool("integer"), decimal, thousands };
}

function checkTemporal(type: TemporalKind, f: Fields): TypeSpec {
  const list = f.has("formats") ? (f.strings("formats") ?? []) : DEFAULT_FORMATS[type];
  if (list.length === 0) f.fail("formats is empty", "invalid_format");
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
  const raw = (f.raw("options") ?? []) as unknown[];
  if (raw.length === 0 || raw.length > MAX_OPTIONS) f.fail(`options needs 1 to ${MAX_OPTIONS} entries`);
  let delimiter = ",";
  if (type === "multi_enum") {
    delimiter = f.string("delimiter", ",");
    const cps = [...delimiter];
    if (cps.length !== 1 || delimiter.trim() === "") f.fail("delimiter must be one character that is not whitespace");
  }
  const caseSensitive = f.bool("case_sensitive");
  const key = caseSensitive ? (s: string): string => s : fold;
  const values = new Set<string>();
  const labels = new Set<string>();
  const options: EnumOption[] = raw.map((o, i) => {
    let value: string;
    let label: string;
    if (typeof o === "string") {
      value = o;
      label = o;
    } else {
      const obj = o as { value?: string | null; label?: string | null };
      value = obj.value ?? "";
      label = obj.label || value;
    }
    for (const s of [value, label]) {
      if (s === "" || s.trim() !== s) f.fail(`option ${i}: value and label must be non-empty without surrounding whitespace`);
      if (type === "multi_enum" && s.includes(delimiter)) f.fail(`option ${i} contains the delimiter`);
    }
    if (values.has(key(value))) f.fail(`option ${i}: duplicate value`);
    if (labels.has(key(label))) f.fail(`option ${i}: duplicate label`);
    values.add(key(value));
    labels.add(key(label));
    return { value, label };
  });
  return { type, options, caseSensitive, allowOther: f.bool("allow_other"), delimiter };
}

const RULE_FIELDS: Record<string, "string" | "strings"> = { rule: "string", column: "string", when: "string", equals: "strings", columns: "strings" };

function checkRule(r: unknown, name: string, index: Map<string, number>): RuleSpec {
  const fail = (code: TemplateCode, detail: string): never => {
    throw new TemplateError(name, code, detail);
  };
  if (!isObject(r)) return fail("invalid_rule", "a rule must be a JSON object");
  for (const [k, v] of Object.entries(r)) {
    const kind = RULE_FIELDS[k];
    if (kind === undefined) fail("invalid_rule", `unknown field ${JSON.stringify(k)}`);
    else if (v !== null && !decodes(v, kind)) fail("invalid_rule", `${k} has the wrong JSON type`);
  }
  const str = (k: string): string => {
    const v = r[k];
    return typeof v === "string" ? v : "";
  };
  const list = (k: string): string[] | null => stringList(r[k]);
  const exists = (key: string): number => {
    const i = index.get(key);
    return i === undefined ? fail("unknown_column", "no column has that key") : i;
  };
  switch (str("rule")) {
    case "required_if": {
      if ((list("columns") ?? []).length > 0) fail("invalid_rule", "required_if takes column, when and equals, not columns");
      const column = exists(str("column"));
      const when = exists(str("when"));
      if (column === when) fail("invalid_rule", "required_if cannot depend on its own column");
      const equals = list("equals");
      return { rule: "required_if", column, when, equals: equals === null || equals.length === 0 ? null : equals };
    }
    case "one_of_required": {
      if (str("column") !== "" || str("when") !== "" || list("equals") !== null) fail("invalid_rule", "one_of_required takes columns only");
      const keys = list("columns") ?? [];
      if (keys.length < 2) fail("invalid_rule", "one_of_required needs at least two columns");
      const columns = keys.map((k, j) => {
        const i = exists(k);
        if (keys.slice(0, j).includes(k)) fail("invalid_rule", "a column is listed twice");
        return i;
      });
      return { rule: "one_of_required", columns };
    }
    default:
      return fail("invalid_rule", 'rule must be "required_if" or "one_of_required"');
  }
}
