// Phone validity in both engines: the widget (docs/phone.md's rule on the
// server's table, libphonenumber-js 1.13.5 for what the rule hands over,
// whose metadata is not nyaruka's) against the Go engine.

import { existsSync, readFileSync } from "node:fs";
import { getCountries, getExampleNumber } from "libphonenumber-js/core";
import metadata from "libphonenumber-js/metadata.max.json";
import examples from "libphonenumber-js/examples.mobile.json";
import { validate } from "../../src/validate/index.ts";
import { goErrors, goValidate, rand, report } from "./shared.ts";

const numbers: string[] = [];
for (const c of getCountries(metadata)) {
  const ex = getExampleNumber(c, examples, metadata);
  if (ex === undefined) continue;
  const d = ex.nationalNumber;
  numbers.push(ex.number, ex.formatInternational(), ex.formatNational());
  for (let k = 0; k < 40; k++) {
    const i = rand(d.length);
    numbers.push(`+${ex.countryCallingCode}${d.slice(0, i)}${rand(10)}${d.slice(i + 1)}`);
  }
}
const bench = "/tmp/bench-data/rows-100k.csv";
if (existsSync(bench)) {
  for (const line of readFileSync(bench, "utf8").split("\n").slice(1, 20001)) numbers.push(line.split(",")[4] ?? "");
}
// As in cells.ts, a rule on an empty column "z" makes the Go engine say
// whether its E.164 output is among the widget's.
const outputs = validate({ columns: [{ key: "phone", type: "phone", default_region: "US" }] }, numbers.map((n) => [n])).rows.map((r) => r[0] ?? null);
const template = {
  columns: [{ key: "phone", type: "phone", default_region: "US" }, { key: "z", type: "text" }],
  rules: [{ rule: "required_if", column: "z", when: "phone", equals: [...new Set(outputs.filter((o): o is string => o !== null)), "\u0000never"] }],
};
const go = goErrors(goValidate(template, numbers.map((phone) => ({ phone, z: "" }))).stdout);
const ts = validate(template, numbers.map((n) => [n, ""])).errors.map((e) => JSON.stringify({ row: e.row, column: e.column, code: e.code, params: e.params }));
const goSet = new Set(go);
const tsSet = new Set(ts);
const num = (x: string): string => {
  const row = (JSON.parse(x) as { row: number }).row;
  return `${JSON.stringify(numbers[row - 1])} → ts ${JSON.stringify(outputs[row - 1])}`;
};
report("phones (validity and E.164)", numbers.length, [
  ...go.filter((x) => !tsSet.has(x)).map((x) => `only go: ${x} ${num(x)}`),
  ...ts.filter((x) => !goSet.has(x)).map((x) => `only ts: ${x} ${num(x)}`),
]);
