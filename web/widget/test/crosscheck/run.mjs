// Builds the Go command line and runs each cross-check against it; exits
// non-zero when the engines disagree. Usage: node test/crosscheck/run.mjs [seed] [count]
import { build } from "esbuild";
import { mkdtemp } from "node:fs/promises";
import { spawnSync } from "node:child_process";
import os from "node:os";
import path from "node:path";

const here = path.dirname(new URL(import.meta.url).pathname);
const repo = path.resolve(here, "../../../..");
const tmp = await mkdtemp(path.join(os.tmpdir(), "crosscheck-"));
const bin = path.join(tmp, "intake");
const go = spawnSync("go", ["build", "-o", bin, "./cmd/intake"], { cwd: repo, stdio: "inherit" });
if (go.status !== 0) process.exit(1);
const [seed = "1", count = "1000"] = process.argv.slice(2);
let failed = false;
for (const name of ["templates", "cells", "phones", "mapping"]) {
  const out = path.join(tmp, `${name}.mjs`);
  await build({ entryPoints: [path.join(here, `${name}.ts`)], outfile: out, bundle: true, platform: "node", format: "esm", logLevel: "warning" });
  const r = spawnSync(process.execPath, [out, bin, tmp, seed, count], { stdio: "inherit" });
  failed ||= r.status !== 0;
}
process.exit(failed ? 1 : 0);
