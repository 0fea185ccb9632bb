// CPU seconds of the widget's phone check on the benchmark's phone column,
// in Node, one thread: the fast path on the server's table (docs/phone.md),
// the fast path it replaced (libphonenumber-js replayed on compiled regexes,
// read from git at OLD), and libphonenumber-js alone, in the same run, beside
// the floor of reading every cell once.
//
//   node bench/phone.mjs /tmp/bench-data/rows-1m.csv [repeats]
//
// Cells are trimmed and empty ones skipped, as checks.ts does. Each fast
// path's best of `repeats` runs is reported (a fresh normaliser each run, so
// setup is counted); libphonenumber-js alone runs once.
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import Papa from "papaparse";

// OLD is the last commit with the regex-replaying fast path.
const OLD = "25d26a8";
const file = process.argv[2];
if (!file) {
  console.error("usage: node bench/phone.mjs ROWS.csv [repeats]");
  process.exit(2);
}
const repeats = Number(process.argv[3] ?? 3);
const here = path.dirname(new URL(import.meta.url).pathname);
const tmp = mkdtempSync(path.join(os.tmpdir(), "phone-bench-"));
writeFileSync(path.join(tmp, "phone-old.ts"), execFileSync("git", ["show", `${OLD}:web/widget/src/validate/phone.ts`], { cwd: here }));
const entry = path.join(tmp, "entry.ts");
writeFileSync(
  entry,
  `export { PhoneNormaliser as New } from ${JSON.stringify(path.join(here, "../src/validate/phone.ts"))};
export { PhoneNormaliser as Old } from ${JSON.stringify(path.join(tmp, "phone-old.ts"))};
export { default as metadata } from "libphonenumber-js/metadata.max.json";`,
);
const out = path.join(tmp, "phone.mjs");
await build({ entryPoints: [entry], outfile: out, bundle: true, platform: "node", format: "esm", logLevel: "warning", nodePaths: [path.join(here, "../node_modules")] });
const m = await import(out);

const rows = Papa.parse(readFileSync(file, "utf8"), { skipEmptyLines: true }).data;
const col = rows[0].indexOf("phone");
const cells = [];
for (let i = 1; i < rows.length; i++) {
  const s = (rows[i][col] ?? "").trim();
  if (s !== "") cells.push(s);
}

const cpu = (f) => {
  const t0 = process.cpuUsage();
  const v = f();
  const t = process.cpuUsage(t0);
  return [(t.user + t.system) / 1e6, v];
};
const best = (n, f) => {
  let min = Infinity;
  let v;
  for (let k = 0; k < n; k++) {
    const [s, r] = cpu(f);
    if (s < min) [min, v] = [s, r];
  }
  return [min, v];
};
const all = (make) => () => {
  const p = make();
  const out = new Array(cells.length);
  for (let i = 0; i < cells.length; i++) out[i] = p(cells[i]);
  return out;
};

console.log(`${path.basename(file)}: ${cells.length} phone cells; CPU seconds, one thread (Node ${process.version}, load ${os.loadavg()[0].toFixed(1)})`);
for (const region of ["US", null]) {
  // The floor: every cell read once, character by character.
  const [floor] = best(repeats, () => {
    let h = 0;
    for (const s of cells) for (let i = 0; i < s.length; i++) h = (h + s.charCodeAt(i)) | 0;
    return h;
  });
  const [tNew, vNew] = best(repeats, all(() => {
    const p = new m.New(m.metadata, region);
    return (s) => p.normalise(s);
  }));
  const [tOld, vOld] = best(repeats, all(() => {
    const p = new m.Old(m.metadata, region);
    return (s) => p.normalise(s);
  }));
  const [tLib, vLib] = cpu(all(() => {
    const p = new m.New(m.metadata, region);
    return (s) => p.slow(s);
  }));
  const fastNew = cells.filter((s) => new m.New(m.metadata, region).fast(s) !== undefined).length;
  let diffOld = 0;
  let diffLib = 0;
  for (let i = 0; i < cells.length; i++) {
    if (vNew[i] !== vOld[i]) diffOld++;
    if (vNew[i] !== vLib[i]) diffLib++;
  }
  const rate = (s) => `${((cells.length / s) / 1e6).toFixed(2)}M cells/cpu-s, ${((s / cells.length) * 1e9).toFixed(0)} ns a cell`;
  console.log(`default region ${region ?? "none"}: ${fastNew} cells decided by the new fast path`);
  console.log(`  floor (read each cell)   ${floor.toFixed(3)} s (${rate(floor)})`);
  console.log(`  new fast path (table)    ${tNew.toFixed(3)} s (${rate(tNew)})`);
  console.log(`  old fast path (regexes)  ${tOld.toFixed(3)} s (${rate(tOld)})`);
  console.log(`  libphonenumber-js alone  ${tLib.toFixed(3)} s (${rate(tLib)})`);
  console.log(`  answers: new ≠ old on ${diffOld} cells, new ≠ libphonenumber-js on ${diffLib}`);
}
