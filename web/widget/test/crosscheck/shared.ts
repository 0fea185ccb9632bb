// What the cross-checks share: arguments, a seeded generator and the Go CLI.

import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";

/** Arguments given by run.mjs: the Go binary, a scratch folder, a seed and a count. */
export const [bin = "", tmp = "", seedArg = "1", countArg = "1000"] = process.argv.slice(2);
export const count = Number(countArg);

let seed = Number(seedArg) >>> 0;

/** rand returns an integer in [0, n) from a seeded LCG, so a failure replays. */
export function rand(n: number): number {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return (seed >>> 8) % n;
}

/** pick returns a random element of xs. */
export function pick<T>(xs: readonly T[]): T {
  return xs[rand(xs.length)]!;
}

/** goValidate runs `intake validate` on template and rows (JSON objects keyed by column). */
export function goValidate(template: unknown, rows: Record<string, string | null>[]): { status: number; stdout: string; stderr: string } {
  const t = path.join(tmp, "template.json");
  const d = path.join(tmp, "rows.json");
  writeFileSync(t, JSON.stringify(template));
  writeFileSync(d, JSON.stringify(rows));
  const r = spawnSync(bin, ["validate", "--template", t, d], { encoding: "utf8", maxBuffer: 1 << 28 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** goErrors parses the JSON lines of `intake validate` into comparable strings. */
export function goErrors(stdout: string): string[] {
  return stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => {
      const e = JSON.parse(l) as { row: number; column: string; code: string; params?: Record<string, string> };
      return JSON.stringify({ row: e.row, column: e.column, code: e.code, params: e.params });
    });
}

/** report prints the differences and sets the exit status. */
export function report(name: string, compared: number, diffs: string[]): void {
  console.log(`${name}: ${compared} compared, ${diffs.length} differences`);
  for (const d of diffs.slice(0, 10)) console.log(`  ${d}`);
  if (diffs.length > 0) process.exitCode = 1;
}
