// Builds the widget into internal/widget/dist, the folder the Go package embeds.
// The output must be byte-for-byte reproducible: CI rebuilds into a temporary
// folder (--outdir) and compares it with the committed files.
import { build } from "esbuild";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const argIndex = process.argv.indexOf("--outdir");
const outdir = argIndex > 0 ? path.resolve(process.argv[argIndex + 1]) : path.join(here, "../../internal/widget/dist");

// The npm packages bundled into the built files. Their licences ask that
// their notices ship with them: NOTICES.txt beside the bundles, served with
// them, holds each one's licence text (legalComments: "none" keeps the
// bundles small; the notices are here instead).
const bundled = [
  { name: "papaparse", files: ["LICENSE"], in: "worker.js" },
  { name: "libphonenumber-js", files: ["LICENSE", "LICENSE.Apache"], in: "worker.js" },
  { name: "@e965/xlsx", files: ["LICENSE"], in: "xls.js (SheetJS, loaded only for .xls and .ods)" },
  // age for end-to-end encrypted importers, and the audited primitives it is built on.
  { name: "age-encryption", files: ["LICENSE"], in: "worker.js" },
  { name: "@noble/ciphers", files: ["LICENSE"], in: "worker.js (through age-encryption)" },
  { name: "@noble/curves", files: ["LICENSE"], in: "worker.js (through age-encryption)" },
  { name: "@noble/hashes", files: ["LICENSE"], in: "worker.js (through age-encryption)" },
  { name: "@noble/post-quantum", files: ["LICENSE"], in: "worker.js (through age-encryption)" },
  { name: "@scure/base", files: ["LICENSE"], in: "worker.js (through age-encryption)" },
];

async function notices() {
  const parts = ["Third-party software in Intake's widget (internal/widget/dist).\n"];
  for (const pkg of bundled) {
    const meta = JSON.parse(await readFile(path.join(here, "node_modules", pkg.name, "package.json"), "utf8"));
    parts.push(`${"=".repeat(78)}\n${pkg.name} ${meta.version} (${meta.license}), in ${pkg.in}\n${"=".repeat(78)}\n`);
    for (const f of pkg.files) parts.push((await readFile(path.join(here, "node_modules", pkg.name, f), "utf8")).trim() + "\n");
  }
  return parts.join("\n");
}

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
  notices().then((text) => writeFile(path.join(outdir, "NOTICES.txt"), text)),
]);
