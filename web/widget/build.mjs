// Builds the widget into internal/widget/dist, the folder the Go package embeds.
// The output must be byte-for-byte reproducible: CI rebuilds into a temporary
// folder (--outdir) and compares it with the committed files.
import { build } from "esbuild";
import { mkdir, rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const argIndex = process.argv.indexOf("--outdir");
const outdir = argIndex > 0 ? path.resolve(process.argv[argIndex + 1]) : path.join(here, "../../internal/widget/dist");

const common = {
  bundle: true,
  minify: true,
  legalComments: "none",
  charset: "utf8",
  logLevel: "warning",
  absWorkingDir: here,
};

await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });
await Promise.all([
  // The loader runs on the host page: old syntax, no dependencies, tiny.
  build({ ...common, entryPoints: ["src/embed/loader.ts"], outfile: path.join(outdir, "embed.js"), format: "iife", target: "es2018" }),
  build({ ...common, entryPoints: ["src/app/main.ts"], outfile: path.join(outdir, "app.js"), format: "iife", target: "es2022" }),
  build({ ...common, entryPoints: ["src/worker/worker.ts"], outfile: path.join(outdir, "worker.js"), format: "iife", target: "es2022" }),
  // SheetJS for XLS and ODS, loaded by the worker only when needed.
  build({ ...common, entryPoints: ["src/xls/entry.ts"], outfile: path.join(outdir, "xls.js"), format: "iife", target: "es2022" }),
  build({ ...common, entryPoints: ["src/demo/demo.ts"], outfile: path.join(outdir, "demo.js"), format: "iife", target: "es2022" }),
  build({ ...common, entryPoints: ["src/app/app.css"], outfile: path.join(outdir, "app.css") }),
]);
