// The linear-time matcher must accept exactly what JavaScript's own RegExp
// (u flag, anchored) accepts, on random patterns of the subset and random
// values, and must stay linear where RegExp would backtrack for ever.

import { test } from "node:test";
import assert from "node:assert/strict";
import { compileRegex, isProblem } from "../src/validate/regex.ts";

// mulberry32, so a failure can be replayed.
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ATOMS = ["a", "b", "c", ".", "\\d", "\\w", "\\W", "\\D", "[ab]", "[^a]", "[a-c]", "[\\d-]", "\\p{L}", "\\p{Lu}", "\\P{L}", "\\u00e9", "\\x41", "é", "😀", "\\.", "[-x]", "\\n"];
const VALUE_CHARS = ["a", "b", "c", "A", "1", "-", ".", "é", "É", "😀", "\n", " ", "\u2028", "x", "\ud800"];

function pattern(r: () => number, depth: number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const items: string[] = [];
  const n = 1 + Math.floor(r() * 3);
  for (let k = 0; k < n; k++) {
    let atom = depth > 0 && r() < 0.3 ? `(${r() < 0.5 ? "?:" : ""}${pattern(r, depth - 1)})` : pick(ATOMS);
    const q = r();
    if (q < 0.15) atom += "*";
    else if (q < 0.3) atom += "+";
    else if (q < 0.4) atom += "?";
    else if (q < 0.5) atom += `{${Math.floor(r() * 3)},${3 + Math.floor(r() * 2)}}`;
    else if (q < 0.55) atom += `{${1 + Math.floor(r() * 2)}}`;
    if (q < 0.5 && r() < 0.2) atom += "?";
    items.push(atom);
  }
  if (r() < 0.1) items.unshift("^");
  if (r() < 0.1) items.push("$");
  const seq = items.join("");
  return r() < 0.25 ? `${seq}|${pattern(r, depth - 1)}` : seq;
}

test("matches exactly what RegExp with the u flag matches", () => {
  const r = rng(424242);
  let compared = 0;
  for (let p = 0; p < 1500; p++) {
    const src = pattern(r, 2);
    const m = compileRegex(src);
    assert.ok(!isProblem(m), `pattern ${src} refused: ${isProblem(m) ? m.detail : ""}`);
    const native = new RegExp(`^(?:${src})$`, "u");
    for (let v = 0; v < 60; v++) {
      let s = "";
      const len = Math.floor(r() * 7);
      for (let k = 0; k < len; k++) s += VALUE_CHARS[Math.floor(r() * VALUE_CHARS.length)];
      assert.equal(m.test(s), native.test(s), `pattern ${src} value ${JSON.stringify(s)}`);
      compared++;
    }
  }
  assert.ok(compared >= 90000);
});

test("stays linear where a backtracking engine explodes", () => {
  const m = compileRegex("(a+)+b");
  assert.ok(!isProblem(m));
  const t0 = performance.now();
  assert.equal(m.test("a".repeat(100000)), false);
  assert.ok(performance.now() - t0 < 10000, "took too long");
});
