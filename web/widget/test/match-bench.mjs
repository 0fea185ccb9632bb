// Benchmark of the widget's column matcher on the case: 500 headers
// against a template of 500 columns, built exactly as the Go benchmark
// builds them (internal/mapping/bench_test.go, benchInput) from the header
// rows of the vectors. Prints the best of 20 runs; exits 1 above 50 ms.
//
//   node test/match-bench.mjs
import { build } from "esbuild";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const here = path.dirname(new URL(import.meta.url).pathname);
const vectors = path.resolve(here, "../../../testdata/conformance/mapping");
const out = path.join(os.tmpdir(), `match-bench-${process.pid}.mjs`);
await build({ entryPoints: [path.join(here, "../src/mapping/index.ts")], outfile: out, bundle: true, platform: "node", format: "esm", logLevel: "warning" });
const { matchColumns } = await import(out);

const pool = [];
const seen = new Set();
for (const f of ["exports.json", "languages.json", "lookalikes.json", "shapes.json"]) {
  for (const c of JSON.parse(readFileSync(path.join(vectors, f), "utf8")).cases) {
    for (const h of c.headers ?? []) {
      if (!seen.has(h)) {
        seen.add(h);
        pool.push(h);
      }
    }
  }
}
const columns = [];
const headers = [];
for (let i = 0; i < 500; i++) {
  let label = pool[(i * 7) % pool.length];
  if (i >= pool.length) label = `${label} ${Math.floor(i / pool.length) + 1}`;
  columns.push({ key: `c${i}`, label, type: "text" });
  headers.push(pool[(i * 11 + 3) % pool.length]);
}
const template = { columns };
let best = Infinity;
for (let run = 0; run < 20; run++) {
  const start = performance.now();
  matchColumns(template, headers);
  best = Math.min(best, performance.now() - start);
}
console.log(`match: 500 headers x 500 columns in ${best.toFixed(1)} ms (best of 20)`);
process.exit(best > 50 ? 1 : 0);
