// Random cells of every type but phone (phones.ts has its own): both
// engines must report the same errors, params included, and produce the
// same normalised values.

import { validate } from "../../src/validate/index.ts";
import { count, goErrors, goValidate, pick, rand, report } from "./shared.ts";

function from(chars: readonly string[], max: number): string {
  let s = "";
  for (let n = rand(max + 1); n > 0; n--) s += pick(chars);
  return s;
}

/** mutate inserts, deletes or replaces up to three code points of s. */
function mutate(s: string, chars: readonly string[]): string {
  const a = [...s];
  for (let k = rand(4); k > 0; k--) {
    const p = rand(a.length + 1);
    const op = rand(3);
    if (op === 0) a.splice(p, 0, pick(chars));
    else if (op === 1) a.splice(p, 1);
    else a[p] = pick(chars);
  }
  return a.join("");
}

const template = {
  columns: [
    { key: "text", type: "text", min_length: 2, max_length: 5 },
    { key: "num", type: "number", min: "-100.5", max: "100000" },
    { key: "numc", type: "number", decimal_separator: ",", thousands_separator: " ", integer: true },
    { key: "bool", type: "boolean" },
    { key: "email", type: "email" },
    { key: "url", type: "url" },
    { key: "date", type: "date", formats: ["YYYY-MM-DD", "D/M/YY", "MMM D, YYYY", "YYYYMMDD"] },
    { key: "dt", type: "datetime", excel_serial: "1904" },
    { key: "dtz", type: "datetime", formats: ["YYYY-MM-DD[T]HH:mm:ss.SSSZ", "DD.MM.YYYY h:mm A"] },
    { key: "time", type: "time", formats: ["HH:mm:ss", "h:mm A", "H[h]mm"] },
    { key: "enum", type: "enum", options: [{ value: "a", label: "Äpfel" }, { value: "ΣΟΦ", label: "b" }, "İx"] },
    { key: "multi", type: "multi_enum", options: ["red", "Grün", "青"], delimiter: "|" },
    { key: "re", type: "regex", pattern: "[A-Z]{2,3}(-\\d+)?|\\p{Lu}\\p{Ll}*" },
    { key: "ip", type: "ip" },
    { key: "country", type: "country" },
    { key: "cur", type: "currency" },
  ],
};

const gens: Record<string, () => string> = {
  text: () => from(["a", "é", "😀", "👨‍👩‍👧", " ", "\u00a0", "z", "山", "\u200b"], 8),
  num: () => mutate(pick(["12", "-100.5", "100000", "1,234.5", "0.000", "-0", "99999.99", ".5"]), ["1", "0", ",", ".", "-", "+", " ", "9"]),
  numc: () => mutate(pick(["1 234", "12,0", "1\u00a0234", "1\u202f234,00", "-0", "5"]), ["1", "0", ",", ".", " ", "\u00a0", "-"]),
  bool: () => mutate(pick(["true", "YES", "n", "Off", "0", "1", "on"]), ["t", "E", "s", "o", "1"]),
  email: () => mutate(pick(["ann@example.com", "A.B@Ex-Ample.CO.uk", "x@xn--p1ai.xn--p1ai", "o'b@x.io"]), ["@", ".", "-", "A", "é", " ", "x", "1"]),
  url: () => mutate(pick(["https://Example.com/a?b#c", "example.com", "HTTP://[::1]:80/", "http://1.2.3.4:65535", "www.a.io/é"]), [":", "/", "@", ".", "[", "]", "A", " ", "1", "?", "#", "|"]),
  date: () => mutate(pick(["2024-02-29", "1/2/25", "Feb 29, 2024", "20250304", "45000", "60", "2958465.5"]), ["0", "1", "2", "9", "/", "-", ".", " ", "a"]),
  dt: () => mutate(pick(["2025-03-04T10:20:30", "2025-03-04 23:59:59", "2025-03-04T10:20:30+14:00", "0.5", "2957003.99999", "1462.000011574"]), ["0", "1", "5", ":", "T", "Z", "+", "-", ".", " "]),
  dtz: () => mutate(pick(["0001-01-01T00:00:00.0Z", "9999-12-31T23:59:59.999999999-01:00", "04.03.2025 12:00 am", "2025-03-04T10:20:30.5+0100"]), ["0", "1", "9", ":", "Z", "+", "-", ".", " ", "P", "M"]),
  time: () => mutate(pick(["23:59:59", "12:00 PM", "9h05", "0:00 AM", "24:00:00"]), ["0", "1", "2", "5", ":", "h", " ", "A", "m"]),
  enum: () => mutate(pick(["a", "ÄPFEL", "äpfel", "σοφ", "B", "i̇x", "İX", "ix"]), ["a", "Σ", "ς", "İ", "x", " "]),
  multi: () => mutate(pick(["red|grün", "RED | GRÜN | 青", "||", "青|red|red"]), ["|", " ", "r", "Ü", "青"]),
  re: () => mutate(pick(["AB", "ABC-12", "Émile", "ÉMILE", "AB-"]), ["A", "-", "1", "é", "É", "\n"]),
  ip: () => mutate(pick(["1.2.3.4", "::1", "2001:db8::1", "::ffff:1.2.3.4", "fe80::1%1", "1:2:3:4:5:6:7:8"]), [":", ".", "0", "1", "f", "F", "%"]),
  country: () => mutate(pick(["US", "u.s.a.", "Côte d’Ivoire", "korea, republic of", "St. Lucia", "Åland Islands", "GBR"]), [".", " ", "'", "-", "a", "É", "—"]),
  cur: () => mutate(pick(["EUR", "usd", "XXX", "JPY"]), ["E", "u", "X", "€"]),
};

const rows = Array.from({ length: count }, () => template.columns.map((c) => gens[c.key]!()));

// The Go command line prints errors, not normalised values. To compare those
// too, a second template adds an empty column "z" and, per column, a rule
// "z is required when the column equals one of the widget's outputs": the Go
// engine then reports required_if exactly where its own output is among them.
const outputs = validate(template, rows).rows;
const withOutputs = {
  columns: [...template.columns, { key: "z", type: "text" }],
  rules: template.columns.map((c, i) => ({
    rule: "required_if",
    column: "z",
    when: c.key,
    equals: [...new Set(outputs.map((o) => o[i]).filter((v): v is string => v !== null))].concat(["\u0000never"]),
  })),
};
const cellRows = rows.map((r) => [...r, ""]);
const go = goErrors(goValidate(withOutputs, cellRows.map((r) => Object.fromEntries(withOutputs.columns.map((c, i) => [c.key, r[i] ?? null])))).stdout);
const ts = validate(withOutputs, cellRows).errors.map((e) => JSON.stringify({ row: e.row, column: e.column, code: e.code, params: e.params }));
const goSet = new Set(go);
const tsSet = new Set(ts);
const cell = (x: string): string => {
  const e = JSON.parse(x) as { row: number; column: string; params?: { when?: string } };
  const key = e.params?.when ?? e.column;
  const i = template.columns.findIndex((c) => c.key === key);
  return `${JSON.stringify(rows[e.row - 1]?.[i])} → ts ${JSON.stringify(outputs[e.row - 1]?.[i])}`;
};
report("cells (errors and normalised values)", count * template.columns.length, [
  ...go.filter((x) => !tsSet.has(x)).map((x) => `only go: ${x} cell ${cell(x)}`),
  ...ts.filter((x) => !goSet.has(x)).map((x) => `only ts: ${x} cell ${cell(x)}`),
]);
