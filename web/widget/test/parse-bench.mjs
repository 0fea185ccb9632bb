// Benchmark of parseDelimited (src/parse/delimited.ts) in Node: the time to
// parse a file into packed rows, as the parsing worker does, best of N runs.
//
//   node ../../shared/bench/gen-data.mjs --out /tmp/bench-data --sizes 1m --no-xlsx
//   node test/parse-bench.mjs /tmp/bench-data/rows-1m.csv [runs]
import { build } from "esbuild";
import { openAsBlob } from "node:fs";
import os from "node:os";
import path from "node:path";

const file = process.argv[2];
const runs = Number(process.argv[3] ?? 3);
if (!file) {
  console.error("usage: node test/parse-bench.mjs ROWS.csv [runs]");
  process.exit(2);
}
const here = path.dirname(new URL(import.meta.url).pathname);
const out = path.join(os.tmpdir(), `parse-bench-${process.pid}.mjs`);
await build({ entryPoints: [path.join(here, "../src/parse/delimited.ts")], outfile: out, bundle: true, platform: "node", format: "esm", logLevel: "warning" });
const { parseDelimited } = await import(out);

const blob = await openAsBlob(file);
const times = [];
for (let i = 0; i < runs; i++) {
  const start = performance.now();
  const result = await parseDelimited(blob);
  const ms = performance.now() - start;
  times.push(ms);
  console.log(`run ${i + 1}: ${ms.toFixed(0)} ms, ${result.rows.length} rows, delimiter ${JSON.stringify(result.delimiter)}`);
}
console.log(`best ${Math.min(...times).toFixed(0)} ms, median ${times.sort((a, b) => a - b)[Math.floor(times.length / 2)].toFixed(0)} ms`);
