// Bundles each test/*.test.ts with esbuild (Node 20 cannot run TypeScript) and
// runs them with Node's test runner.
import { build } from "esbuild";
import { mkdtemp, readdir } from "node:fs/promises";
import { spawnSync } from "node:child_process";
import os from "node:os";
import path from "node:path";

const dir = path.dirname(new URL(import.meta.url).pathname);
const out = await mkdtemp(path.join(os.tmpdir(), "widget-test-"));
const entries = (await readdir(dir)).filter((f) => f.endsWith(".test.ts")).map((f) => path.join(dir, f));
await build({ entryPoints: entries, outdir: out, bundle: true, platform: "node", format: "esm", outExtension: { ".js": ".mjs" }, logLevel: "warning" });
const files = (await readdir(out)).map((f) => path.join(out, f));
const run = spawnSync(process.execPath, ["--test", ...files], { stdio: "inherit", cwd: path.resolve(dir, "..") });
process.exit(run.status ?? 1);
