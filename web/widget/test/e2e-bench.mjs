// Benchmark of the widget's e2e encryption step (issue 17) in Node: the
// upload's encoding of every row (encodeSpan: JSON, gzip'd as on a slow link
// or not as on a fast one) with and without the age encryption an e2e
// importer adds, in the same run, spans of 5,000
// rows as the upload cuts them. It measures the encode step only, not a
// browser import end to end (docs/benchmarks.md says which).
//
//   node test/e2e-bench.mjs /tmp/bench-data/rows-1m.csv [runs]
import { build } from "esbuild";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import Papa from "papaparse";

const file = process.argv[2];
const runs = Number(process.argv[3] ?? 3);
if (!file) {
  console.error("usage: node test/e2e-bench.mjs ROWS.csv [runs]");
  process.exit(2);
}
const here = path.dirname(new URL(import.meta.url).pathname);
const out = path.join(os.tmpdir(), `e2e-bench-${process.pid}.mjs`);
await build({ entryPoints: [path.join(here, "../src/upload/upload.ts")], outfile: out, bundle: true, platform: "node", format: "esm", logLevel: "warning" });
const { encodeSpan, MAX_ROWS_PER_CHUNK } = await import(out);
const { generateX25519Identity, identityToRecipient } = await import("age-encryption");

const parsed = Papa.parse(readFileSync(file, "utf8"), { skipEmptyLines: true });
const [header, ...rows] = parsed.data;
const seal = { recipients: [await identityToRecipient(await generateX25519Identity())], columns: header };

async function encodeAll(s, gzip) {
  let bytes = 0;
  for (let start = 0; start < rows.length; start += MAX_ROWS_PER_CHUNK) {
    const chunks = await encodeSpan((i) => rows[i], start, Math.min(rows.length, start + MAX_ROWS_PER_CHUNK), { maxBytes: 8 << 20, seal: s, gzip });
    for (const c of chunks) bytes += c.body.byteLength;
  }
  return bytes;
}

async function measure(s, gzip) {
  let best = { wall: Infinity, cpu: Infinity, bytes: 0 };
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const bytes = await encodeAll(s, gzip);
    const c = process.cpuUsage(c0);
    const wall = (performance.now() - t0) / 1000;
    const cpu = (c.user + c.system) / 1e6;
    if (cpu < best.cpu) best = { wall, cpu, bytes };
  }
  return best;
}

const variants = [
  ["JSON (stored, fast link)", await measure(undefined, false)],
  ["gzip (stored, slow link)", await measure(undefined, true)],
  ["age (e2e, fast link)", await measure(seal, false)],
  ["gzip + age (e2e, slow link)", await measure(seal, true)],
];
const line = (name, m) => `${name.padEnd(28)} ${m.cpu.toFixed(2)} cpu-s  ${m.wall.toFixed(2)} s wall  ${Math.round(rows.length / m.cpu)} rows/cpu-s  ${(m.bytes / 1e6).toFixed(1)} MB sent`;
console.log(`${rows.length} rows, best of ${runs} (by CPU time), node ${process.version}`);
for (const [name, m] of variants) console.log(line(name, m));
const adds = (e2e, stored) => `${(((e2e.cpu - stored.cpu) / stored.cpu) * 100).toFixed(1)}% CPU`;
console.log(`age adds ${adds(variants[2][1], variants[0][1])} on a fast link, ${adds(variants[3][1], variants[1][1])} on a slow one, to the encode step`);
