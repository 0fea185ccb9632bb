// Differential test: PhoneNormaliser's fast path must give exactly the
// answers of libphonenumber-js (its slow path) on every input it accepts.

import { test } from "node:test";
import assert from "node:assert/strict";
import { getCountries, getExampleNumber } from "libphonenumber-js/core";
import metadata from "libphonenumber-js/metadata.max.json";
import examples from "libphonenumber-js/examples.mobile.json";
import { PhoneNormaliser } from "../src/validate/phone.ts";

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

const REGIONS: (string | null)[] = [null, "US", "GB", "DE", "FR", "JP", "BR", "AR", "MX", "IN", "CN", "RU", "IT", "AU", "NL", "CA", "ES", "KR", "IL", "ZA"];

function inputs(r: () => number): string[] {
  const out: string[] = [];
  // Real numbers of every region, in E.164, national and international formats.
  for (const c of getCountries(metadata)) {
    const ex = getExampleNumber(c, examples, metadata);
    if (ex === undefined) continue;
    out.push(ex.number, ex.formatNational(), ex.formatInternational(), ex.nationalNumber, "00" + ex.number.slice(1), "011" + ex.number.slice(1));
    // Mutations: one digit changed, one dropped, one added.
    const d = ex.nationalNumber;
    const i = Math.floor(r() * d.length);
    out.push(ex.countryCallingCode + d, "+" + ex.countryCallingCode + d.slice(0, i) + d.slice(i + 1), "+" + ex.countryCallingCode + d + "7", "0" + d, "+" + ex.countryCallingCode + d.slice(0, i) + String(Math.floor(r() * 10)) + d.slice(i + 1));
  }
  // Random digit strings with separators, with and without "+".
  const seps = ["", " ", "-", ".", "(", ")"];
  for (let k = 0; k < 6000; k++) {
    const len = 3 + Math.floor(r() * 13);
    let s = r() < 0.4 ? "+" : r() < 0.1 ? "(" : "";
    for (let j = 0; j < len; j++) {
      s += String(Math.floor(r() * 10));
      if (r() < 0.2) s += seps[Math.floor(r() * seps.length)];
    }
    out.push(s);
  }
  return out;
}

test("fast path equals libphonenumber-js", () => {
  const all = inputs(rng(20261129));
  let fast = 0;
  for (const region of REGIONS) {
    const p = new PhoneNormaliser(metadata, region);
    for (const s of all) {
      const f = p.fast(s);
      if (f === undefined) continue;
      fast++;
      assert.equal(f, p.slow(s), `input ${JSON.stringify(s)} region ${region}`);
    }
  }
  // The fast path must actually carry most inputs, or it is no optimisation.
  assert.ok(fast > all.length * REGIONS.length * 0.8, `fast path took ${fast} of ${all.length * REGIONS.length}`);
});
