// Random template mutations: both engines must refuse the same templates
// with the same column and code, and accept the same others.

import { TemplateError, Validator } from "../../src/validate/index.ts";
import { count, goValidate, pick, rand, report } from "./shared.ts";

const base = {
  columns: [
    { key: "id", label: "Customer ID", type: "text", required: true, unique: true, max_length: 32, synonyms: ["customer number"] },
    { key: "email", label: "Email", type: "email", unique: true, unique_ignore_case: true },
    { key: "phone", type: "phone", default_region: "US" },
    { key: "signup_date", type: "date", formats: ["YYYY-MM-DD", "DD/MM/YYYY"], excel_serial: "1900" },
    { key: "amount", type: "number", min: 0, max: "1000000", decimal_separator: ".", thousands_separator: "," },
    { key: "country", type: "country" },
    { key: "active", type: "boolean", true_value: "yes", false_value: "no" },
    { key: "plan", type: "enum", options: [{ value: "free", label: "Free" }, { value: "pro", label: "Professional" }] },
    { key: "tags", type: "multi_enum", delimiter: ";", options: ["vip", "beta"], allow_other: true },
    { key: "sku", type: "regex", pattern: "[A-Z]{3}-\\d{4}", message: "m" },
    { key: "ip", type: "ip", version: "4" },
    { key: "at", type: "datetime", formats: ["YYYY-MM-DD HH:mm:ss"] },
    { key: "opens", type: "time", formats: ["HH:mm", "h:mm A"] },
    { key: "state", type: "text", default: "n/a" },
  ],
  rules: [
    { rule: "required_if", column: "state", when: "country", equals: ["US"] },
    { rule: "one_of_required", columns: ["email", "phone"] },
  ],
};
const FIELDS = ["key", "label", "description", "type", "required", "unique", "unique_ignore_case", "default", "synonyms", "min_length", "max_length", "min", "max", "integer", "decimal_separator", "thousands_separator", "true_value", "false_value", "default_region", "formats", "excel_serial", "options", "case_sensitive", "allow_other", "delimiter", "pattern", "message", "version", "bogus"];
const VALUES: unknown[] = ["", " ", "x", "X", "YYYY", "YYYY-MM-DD", "HH:mm", "hh:mm", "1900", "off", "4", "6", "any", "US", "XX", ",", ".", ";", " ", "[a-z]+", "a(b", "(?i)x", "{", "a{2}{3}", "(a{100}){100}", "\\p{L}", "true", "abc", "1.5", "-3", "text", "email", "enum", "date", 0, -1, 3, 3.5, 1000, 10000, true, false, null, [], ["a"], ["a", "a"], ["A", "a"], [""], [" a"], [1], ["YYYY-MM-DD"], ["hh:mm A", "SSS"], [null], ["YYYY-MM-DD", null], {}, [{ value: "a" }], [{ value: "a", label: "b" }, { value: "b", label: "b" }], [{ x: 1 }], [{ value: "a;b" }]];
const RULE_FIELDS = ["rule", "column", "when", "equals", "columns", "bogus"];
const RULE_VALUES: unknown[] = ["required_if", "one_of_required", "nope", "state", "country", "email", "zzz", "", null, [], [null], ["US", null], ["email"], ["email", "email"], ["email", "phone"], ["zzz", "email"], 5];

function goCheck(t: unknown): string {
  const r = goValidate(t, []);
  // The column is Go-quoted (%q); JSON reads the same escapes.
  const m = /template: (?:column ("(?:[^"\\]|\\.)*"): |(rule \d+): )?([a-z_]+): /.exec(r.stderr);
  if (m) return `${m[1] !== undefined ? (JSON.parse(m[1]) as string) : (m[2] ?? "")} ${m[3]}`;
  return r.status === 1 ? `unexpected: ${r.stderr.trim()}` : "ok";
}

function tsCheck(t: unknown): string {
  try {
    new Validator(t);
    return "ok";
  } catch (e) {
    if (e instanceof TemplateError) return `${e.column} ${e.code}`;
    throw e;
  }
}

const diffs: string[] = [];
for (let k = 0; k < count / 4; k++) {
  const t = structuredClone(base) as { columns: Record<string, unknown>[]; rules: Record<string, unknown>[] };
  for (let m = 1 + rand(2); m > 0; m--) {
    const target = rand(5) === 0 ? pick(t.rules) : pick(t.columns);
    const f = target === t.rules[0] || target === t.rules[1] ? pick(RULE_FIELDS) : pick(FIELDS);
    if (rand(5) === 0) delete target[f];
    else target[f] = target === t.rules[0] || target === t.rules[1] ? pick(RULE_VALUES) : pick(VALUES);
  }
  const go = goCheck(t);
  const ts = tsCheck(t);
  if (go !== ts) diffs.push(`go "${go}" ts "${ts}" in ${JSON.stringify(t)}`);
}
report("templates", Math.floor(count / 4), diffs);
