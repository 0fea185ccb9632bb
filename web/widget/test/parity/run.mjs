// Parses files with the widget's own parsers, for the server's parity test
// (internal/parse/parity_test.go). Node 20 cannot run TypeScript, so
// files.ts is bundled with esbuild first. Reads a JSON array of
// {path, name, encoding?, delimiter?, sheet?} on stdin and prints a JSON
// array of {settings, rows, skipped} or {error} in the same order.
//
//     echo '[{"path":"x.csv","name":"x.csv"}]' | node test/parity/run.mjs
import { build } from "esbuild";
import { mkdtemp, rm } from "node:fs/promises";
import { spawnSync } from "node:child_process";
import os from "node:os";
import path from "node:path";

const here = path.dirname(new URL(import.meta.url).pathname);
const tmp = await mkdtemp(path.join(os.tmpdir(), "parity-"));
const out = path.join(tmp, "files.mjs");
await build({ entryPoints: [path.join(here, "files.ts")], outfile: out, bundle: true, platform: "node", format: "esm", logLevel: "warning" });
const run = spawnSync(process.execPath, [out], { stdio: "inherit" });
await rm(tmp, { recursive: true, force: true });
process.exit(run.status ?? 1);
