// CPU seconds of each phase of the widget's work on one file, in Node, one
// thread, beside Papa Parse alone on the same text in the same run: what
// the browser benchmark (scripts/bench-widget.sh) times as wall clock on a
// shared machine, here as CPU time, which other processes hardly change.
// The demo importer's template (internal/server DemoTemplate) is read from
// the Go source, so the figures follow it.
//
//   node bench/phases.mjs /tmp/bench-data/rows-1m.csv
//
// Phases: parse (parseDelimited: decode, Papa's parser, pack), check
// (Checker.check, what a helper worker runs, blocks of 10,000 rows),
// claims (Merger.errors, what the parsing worker does with the blocks),
// encode (the upload's JSON of 5,000-row spans, then gzip as
// CompressionStream does it).
import { build } from "esbuild";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import Papa from "papaparse";

const file = process.argv[2];
if (!file) {
  console.error("usage: node bench/phases.mjs ROWS.csv");
  process.exit(2);
}
const here = path.dirname(new URL(import.meta.url).pathname);
const entry = path.join(os.tmpdir(), `phases-entry-${process.pid}.ts`);
const out = path.join(os.tmpdir(), `phases-${process.pid}.mjs`);
const src = path.join(here, "../src");
await import("node:fs/promises").then((fs) =>
  fs.writeFile(
    entry,
    `export { parseDelimited } from ${JSON.stringify(path.join(src, "parse/delimited.ts"))};
export { RowTable } from ${JSON.stringify(path.join(src, "rows/store.ts"))};
export { Checker, Merger, sharedErrors, Translator } from ${JSON.stringify(path.join(src, "worker/check.ts"))};
export { tableRules } from ${JSON.stringify(path.join(src, "worker/review.ts"))};
export { spanBodies } from ${JSON.stringify(path.join(src, "upload/upload.ts"))};`,
  ),
);
await build({ entryPoints: [entry], outfile: out, bundle: true, platform: "node", format: "esm", logLevel: "warning" });
const m = await import(out);

const go = readFileSync(path.join(here, "../../../internal/server/server.go"), "utf8");
const template = JSON.parse(go.match(/DemoTemplate = \[\]byte\(`([\s\S]*?)`\)/)[1]);

const cpu = (f) => {
  const t0 = process.cpuUsage();
  const v = f();
  const t = process.cpuUsage(t0);
  return [(t.user + t.system) / 1e6, v];
};
const cpuAsync = async (f) => {
  const t0 = process.cpuUsage();
  const v = await f();
  const t = process.cpuUsage(t0);
  return [(t.user + t.system) / 1e6, v];
};

const bytes = readFileSync(file);
const [papa] = cpu(() => Papa.parse(bytes.toString("utf8"), { skipEmptyLines: true }).data.length);
const [parse, parsed] = await cpuAsync(() => m.parseDelimited(new Blob([bytes])));
const table = new m.RowTable(parsed.rows, 0, template.columns.map((_, i) => i));
const n = table.length;
const checker = new m.Checker(template, "en", [...table.mapping]);
const blocks = [];
const [check] = cpu(() => {
  for (let s = 0; s < n; s += 10_000) blocks.push(checker.check(table.shipped(s, Math.min(n, s + 10_000))));
});
const { validator, uniqueness } = m.tableRules(template, table);
const t = new m.Translator("en");
const merger = new m.Merger(validator, uniqueness, (first) => t.text("duplicate", { row: String(first) }));
let withErrors = 0;
const [claims] = cpu(() => {
  blocks.forEach((b, k) => {
    for (let j = 0; j < b.count; j++) if (merger.errors(b, j, k * 10_000 + j + 1)) withErrors++;
  });
});
// The upload's JSON as a helper makes it, from the rows shipped to it; only
// the sizes kept, as a helper keeps one span at a time.
const [json, jsonBytes] = cpu(() => {
  let bytes = 0;
  for (let s = 0; s < n; s += 5000) {
    const shipped = table.shipped(s, Math.min(n, s + 5000));
    for (const b of m.spanBodies((i) => checker.cells(shipped[i - s]), s, s + shipped.length, 8 << 20)) bytes += b.body.length;
  }
  return bytes;
});
// gzip as CompressionStream does it, on the chunks' JSON (kept for it).
const bodies = [];
for (let s = 0; s < n; s += 5000) bodies.push(...m.spanBodies((i) => table.row(i), s, Math.min(n, s + 5000), 8 << 20));
let gzipped = 0;
const [gzip] = await cpuAsync(async () => {
  for (const b of bodies) {
    const stream = new Blob([b.body]).stream().pipeThrough(new CompressionStream("gzip"));
    gzipped += (await new Response(stream).arrayBuffer()).byteLength;
  }
});
const f = (s) => `${s.toFixed(2)} s`;
const r = (s) => `${(s / papa).toFixed(2)}× Papa`;
console.log(`${path.basename(file)}: ${n} rows, ${withErrors} with errors; CPU seconds, one thread (Node ${process.version}, load ${os.loadavg()[0].toFixed(1)})`);
console.log(`  Papa Parse alone  ${f(papa)}`);
console.log(`  parse             ${f(parse)} (${r(parse)})`);
console.log(`  check (helpers)   ${f(check)} (${r(check)}; ${((check / n) * 1e6).toFixed(2)} µs a row)`);
console.log(`  claims (owner)    ${f(claims)} (${r(claims)})`);
console.log(`  encode: JSON      ${f(json)} (${(jsonBytes / 1e6).toFixed(0)} MB), gzip ${f(gzip)} (→ ${(gzipped / 1e6).toFixed(0)} MB)`);
