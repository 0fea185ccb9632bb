// Random header rows: both engines must make the same proposal per header,
// key and confidence, with and without value hints. The headers are drawn
// from every column-matching vector (real export rows, all seven
// languages, look-alikes), then mutated: case, separators, camelCase,
// typos, numbers, owner prefixes and qualifiers.

import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { matchColumns, sampleColumns, valueHints } from "../../src/mapping/index.ts";
import { bin, count, pick, rand, report, tmp } from "./shared.ts";

// The bundle runs from a scratch folder: the vectors are found from the working
// directory (the repository or web/widget), and their absence is a failure.
const vectors = ["testdata/conformance/mapping", "../../testdata/conformance/mapping"].map((p) => path.resolve(p)).find((p) => existsSync(p));
if (!vectors) throw new Error("mapping cross-check: run from the repository or web/widget (testdata/conformance/mapping not found)");
interface Suite {
  template?: { columns: Record<string, unknown>[] };
  cases: { headers?: string[]; template?: { columns: Record<string, unknown>[] } }[];
}
const suites = readdirSync(vectors)
  .filter((f) => f.endsWith(".json") && f !== "header_row.json")
  .map((f) => JSON.parse(readFileSync(path.join(vectors, f), "utf8")) as Suite);
const HEADERS = [...new Set(suites.flatMap((s) => s.cases.flatMap((c) => c.headers ?? [])))];
const TEMPLATES = suites.flatMap((s) => [s.template, ...s.cases.map((c) => c.template)]).filter((t): t is { columns: Record<string, unknown>[] } => t !== undefined);
const PREFIXES = ["Home ", "Billing ", "Default Address ", "Address 1 - ", "Customer ", "Work ", "Other ", "Primary "];
const SUFFIXES = [" consent", " verified", " 2", " 1 - Label", " 1 - Value", " type", " status", " size", " opt-in", " Number", " Address", " Name", " code"];
const VALUES: Record<string, (i: number) => string> = {
  email: (i) => `user${i}@example.org`,
  url: (i) => `https://example${i}.com/`,
  phone: (i) => `+1 415 555 ${String(2600 + i)}`,
  date: (i) => `1990-0${1 + (i % 9)}-1${i % 9}`,
  country: (i) => ["DE", "FR", "US", "JP", "NL"][i % 5]!,
  word: (i) => ["alpha", "bravo", "yes", "no", "42", ""][i % 6]!,
};

function mutate(s: string): string {
  let h = s;
  if (rand(4) === 0) h = pick(PREFIXES) + h;
  if (rand(4) === 0) h += pick(SUFFIXES);
  const a = [...h];
  if (a.length > 3 && rand(5) === 0) {
    const i = rand(a.length - 1);
    [a[i], a[i + 1]] = [a[i + 1]!, a[i]!];
  }
  h = a.join("");
  switch (rand(6)) {
    case 0:
      return h.toUpperCase();
    case 1:
      return h.toLowerCase().replaceAll(" ", "_");
    case 2:
      return h.replace(/[ _-]+(.)/g, (_, c: string) => c.toUpperCase());
    case 3:
      return h.replaceAll(" ", "-");
    default:
      return h;
  }
}

/** A template of random columns of the vectors' templates, keys made unique. */
function randomTemplate(): { columns: Record<string, unknown>[] } {
  const base = pick(TEMPLATES).columns;
  const columns: Record<string, unknown>[] = [];
  const keys = new Set<string>();
  for (const c of base) {
    if (rand(3) === 0 || keys.has(String(c["key"]))) continue;
    keys.add(String(c["key"]));
    columns.push(c);
  }
  return { columns: columns.length ? columns : base };
}

const csvCell = (s: string): string => `"${s.replaceAll('"', '""')}"`;

const diffs: string[] = [];
const cases = Math.max(1, Math.floor(count / 2));
for (let k = 0; k < cases; k++) {
  const template = randomTemplate();
  const headers: string[] = [];
  for (let n = 1 + rand(30); n > 0; n--) {
    const h = mutate(pick(HEADERS)).replaceAll("\n", " ");
    if (!headers.includes(h)) headers.push(h);
  }
  const t = path.join(tmp, "mapping-template.json");
  writeFileSync(t, JSON.stringify(template));
  // Half the rows come with data rows, so that value hints are compared too.
  let data: string[][] | null = null;
  const args = ["match", "--detail", "--template", t];
  if (rand(2) === 0) {
    const kinds = headers.map(() => pick(Object.keys(VALUES)));
    data = Array.from({ length: rand(40) }, (_, r) => kinds.map((kind) => (rand(8) === 0 ? "x" : VALUES[kind]!(r))));
    const f = path.join(tmp, "mapping-data.csv");
    writeFileSync(f, [headers, ...data].map((row) => row.map(csvCell).join(",")).join("\n") + "\n");
    args.push("--file", f);
  } else {
    args.push("--headers", headers.map(csvCell).join(","));
  }
  const r = spawnSync(bin, args, { encoding: "utf8" });
  const go = JSON.parse(r.stdout || "[]") as { header: string; key: string; confidence: number }[];
  const rows = data;
  const hints = rows ? valueHints(template, sampleColumns({ length: rows.length, row: (i) => rows[i] ?? [] }, headers.length)) : undefined;
  const ts = matchColumns(template, headers, hints);
  headers.forEach((h, i) => {
    const g = go[i];
    const w = ts[i];
    if ((g?.key || null) !== (w?.key ?? null) || (g?.confidence ?? 0) !== (w?.confidence ?? 0)) {
      diffs.push(`${JSON.stringify(h)} in ${JSON.stringify(headers)}: go ${g?.key}/${g?.confidence} ts ${w?.key}/${w?.confidence}`);
    }
  });
}
report("mapping", cases, diffs);
