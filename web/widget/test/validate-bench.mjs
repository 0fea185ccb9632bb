// Benchmark of the TypeScript rule engine on the shared benchmark data
// (../shared/bench/gen-data.mjs): every cell of every row validated and
// normalised, as the parsing worker does, then each type timed on its own.
//
//   node ../../shared/bench/gen-data.mjs --out /tmp/bench-data --sizes 1m --no-xlsx
//   node test/validate-bench.mjs /tmp/bench-data/rows-1m.csv
import { build } from "esbuild";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import Papa from "papaparse";

const file = process.argv[2];
if (!file) {
  console.error("usage: node test/validate-bench.mjs ROWS.csv");
  process.exit(2);
}
const here = path.dirname(new URL(import.meta.url).pathname);
const out = path.join(os.tmpdir(), `validate-bench-${process.pid}.mjs`);
await build({ entryPoints: [path.join(here, "../src/validate/index.ts")], outfile: out, bundle: true, platform: "node", format: "esm", logLevel: "warning" });
const { Validator } = await import(out);

const parsed = Papa.parse(readFileSync(file, "utf8"), { skipEmptyLines: true });
const rows = parsed.data.slice(1);
const columns = [
  { key: "id", type: "number", integer: true, unique: true, required: true },
  { key: "first_name", type: "text", max_length: 100 },
  { key: "last_name", type: "text", max_length: 100 },
  { key: "email", type: "email", required: true, unique: true, unique_ignore_case: true },
  { key: "phone", type: "phone", default_region: "US" },
  { key: "signup_date", type: "date", formats: ["YYYY-MM-DD", "DD/MM/YYYY"] },
  { key: "amount", type: "number", min: "-1000000", max: "1000000" },
  { key: "country", type: "country" },
  { key: "active", type: "boolean" },
  { key: "notes", type: "text", max_length: 500 },
];

// best runs pick three times (each a fresh import) and keeps the fastest,
// so the figure is the engine's, not the JIT's warm-up.
function best(template, pick) {
  let fastest = null;
  for (let k = 0; k < 3; k++) {
    const r = run(template, pick);
    if (fastest === null || r.ms < fastest.ms) fastest = r;
  }
  return fastest;
}

function run(template, pick) {
  const v = new Validator(template);
  const o = new Array(template.columns.length).fill(null);
  const cells = new Array(template.columns.length);
  let errors = 0;
  // CPU time, not wall time: the figure stays meaningful on a shared machine.
  const t0 = process.cpuUsage();
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    for (let i = 0; i < pick.length; i++) cells[i] = row[pick[i]];
    errors += v.validateRow(cells, r + 1, o).length;
  }
  const t = process.cpuUsage(t0);
  return { ms: (t.user + t.system) / 1000, errors };
}

const cells = rows.length * columns.length;
const report = (name, r) =>
  console.log(`${name}: ${rows.length} rows, ${(r.ms / 1000).toFixed(2)} s CPU, ${((cells / r.ms) * 100 / 1e6).toFixed(2)} M cells per 100 ms, ${r.errors} errors`);
// As the Go benchmark's first line: typed text, number, email and date; phone, country and active as text.
const core = columns.map((c) => (["phone", "country", "active"].includes(c.key) ? { key: c.key, type: "text" } : c));
report("core types (phone, country, active as text)", best({ columns: core }, columns.map((_, i) => i)));
report("all 10 columns typed", best({ columns }, columns.map((_, i) => i)));
columns.forEach((c, i) => {
  const { unique, unique_ignore_case, required, ...plain } = c;
  const t = best({ columns: [plain] }, [i]);
  console.log(`  ${c.key.padEnd(12)} ${c.type.padEnd(8)} ${((t.ms * 1e6) / rows.length).toFixed(0).padStart(6)} ns/cell`);
});
